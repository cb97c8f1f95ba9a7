/**
 * The Kubernetes manifests against the code they deploy, with no cluster: every file parses and is
 * in the kustomization; every Deployment runs a stage that exists (or a known HTTP service) in the
 * image docker-compose builds; probes ask the port that serves /healthz; every Deployment has a
 * PodDisruptionBudget; the surge sink's ScaledObject names a real topic, group and Deployment and
 * never scales beyond the surge partitions.
 */
import { parseAllDocuments } from 'yaml';
import fs from 'node:fs';
import path from 'node:path';
import { serviceNames } from '../../services/runnable';
import { stageNames } from '../../services/stages';
import { topicByName, topics } from '../../libs/topics';
import { settings } from '../../libs/config';

/** Each HTTP service and the variable naming the port that serves it, its /healthz and /metrics. */
const httpPorts: Record<string, string> = {
  'capture-api': 'CAPTURE_PORT',
  'ops-api': 'OPS_PORT',
  console: 'CONSOLE_PORT',
};
const cli = ['node', 'dist/services/cli/main.js'];

// Multi-document YAML, merge keys on (as compose files use them); empty documents dropped.
function parseYaml(text: string): unknown[] {
  return parseAllDocuments(text, { merge: true })
    .map((d) => d.toJS() as unknown)
    .filter((d) => d !== null && d !== undefined);
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface Container {
  name: string;
  image: string;
  command: string[];
  envFrom?: ({ configMapRef?: { name: string } } | { secretRef?: { name: string } })[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: { containers: Container[] };
}

const dir = __dirname;
const root = path.join(dir, '../..');
const kustomization = parseYaml(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'))[0] as {
  resources: string[];
};
const manifests: Manifest[] = kustomization.resources.flatMap(
  (file) => parseYaml(fs.readFileSync(path.join(dir, file), 'utf8')) as Manifest[],
);
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const deployments = ofKind('Deployment');
const template = (d: Manifest) => d.spec!.template as PodTemplate;
const container = (d: Manifest) => template(d).spec.containers[0]!;
const runs = (c: Container) => c.command.slice(cli.length + 1)[0];
const env = { ...ofKind('ConfigMap')[0]!.data, ...ofKind('Secret')[0]!.stringData };
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

const compose = parseYaml(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'))[0] as {
  'x-pipeline-env': Record<string, string>;
  services: Record<string, { build?: unknown; image?: string; cpu_shares?: number }>;
};

describe('deploy/k8s', () => {
  it('lists every manifest file in the kustomization, and each parses to Kubernetes objects', () => {
    const files = fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    for (const m of manifests) {
      expect(m.apiVersion).toEqual(expect.any(String));
      expect(m.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  it('has one Deployment per stage and per HTTP service, each running it with `unitrail run`', () => {
    expect(Object.keys(httpPorts).sort()).toEqual([...serviceNames].sort());
    const names = deployments.map((d) => d.metadata.name).sort();
    expect(names).toEqual([...stageNames, ...serviceNames].sort());
    for (const d of deployments) {
      expect(container(d).command).toEqual([...cli, 'run', d.metadata.name]);
    }
  });

  it('runs `init` once in a Job', () => {
    const jobs = ofKind('Job');
    expect(jobs).toHaveLength(1);
    expect((jobs[0]!.spec!.template as PodTemplate).spec.containers[0]!.command).toEqual([...cli, 'init']);
  });

  it('uses the image docker-compose builds, everywhere', () => {
    const built = new Set(
      Object.values(compose.services)
        .filter((s) => s.build !== undefined)
        .map((s) => s.image),
    );
    expect([...built]).toHaveLength(1);
    const pods = [...deployments, ...ofKind('Job')].map((m) => m.spec!.template as PodTemplate);
    for (const pod of pods) for (const c of pod.spec.containers) expect(built.has(c.image)).toBe(true);
  });

  it('gives every container the environment compose gives it, and only settings the code reads', () => {
    for (const key of Object.keys(compose['x-pipeline-env'])) expect(env).toHaveProperty(key);
    const known = new Set([
      ...Object.values(settings).map((s) => s.env),
      'LOG_LEVEL',
      ...Object.values(httpPorts),
    ]);
    for (const key of Object.keys(env)) expect(known.has(key) ? key : `unknown ${key}`).toBe(key);
    for (const d of deployments) {
      const from = (container(d).envFrom ?? []).map((e) =>
        'configMapRef' in e ? e.configMapRef?.name : 'secretRef' in e ? e.secretRef?.name : undefined,
      );
      expect(from.sort()).toEqual(['unitrail-env', 'unitrail-secrets']);
    }
  });

  it('probes /healthz on the port that serves it: METRICS_PORT for stages, the API port for HTTP services', () => {
    for (const d of deployments) {
      const c = container(d);
      const portEnv = httpPorts[d.metadata.name] ?? 'METRICS_PORT';
      const port = Number(env[portEnv]);
      expect(port).toBeGreaterThan(0);
      expect(c.ports?.map((p) => p.containerPort)).toContain(port);
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/healthz', port });
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port });
      if (c.startupProbe) expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port });
      expect(c.resources?.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources?.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    }
  });

  it('has a PodDisruptionBudget selecting the pods of each Deployment', () => {
    const pdbs = ofKind('PodDisruptionBudget');
    for (const d of deployments) {
      const labels = template(d).metadata.labels;
      const own = pdbs.filter((p) =>
        matches((p.spec!.selector as { matchLabels: Record<string, string> }).matchLabels, labels),
      );
      expect(own.map((p) => p.metadata.name)).toEqual([d.metadata.name]);
    }
  });

  it('exposes each HTTP service, and only those, through a Service on its named port', () => {
    const services = ofKind('Service');
    expect(services.map((s) => s.metadata.name).sort()).toEqual([...serviceNames].sort());
    for (const s of services) {
      const d = deployments.find((x) => x.metadata.name === s.metadata.name)!;
      expect(matches(s.spec!.selector as Record<string, string>, template(d).metadata.labels)).toBe(true);
      const [port] = s.spec!.ports as { port: number; targetPort: string }[];
      expect(container(d).ports?.map((p) => p.name)).toContain(port!.targetPort);
    }
  });

  it('weighs the interactive services above the pipeline, and the surge sink below the normal flow', () => {
    // compose: a container is a scheduling group of its own, its cpu_shares ranks it (STAGE_NICE cannot)
    const shares = (name: string) => compose.services[name]!.cpu_shares;
    const stageShares = stageNames.map(shares);
    for (const http of serviceNames) for (const s of stageShares) expect(shares(http)).toBeGreaterThan(s!);
    for (const s of stageNames.filter((n) => n !== 'journey-sink-surge'))
      expect(shares('journey-sink-surge')).toBeLessThan(shares(s)!);
    // Kubernetes: the CPU request is the pod's weight under contention
    const millicores = (name: string) => {
      const cpu = String(
        container(deployments.find((d) => d.metadata.name === name)!).resources!.requests!.cpu,
      );
      return cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
    };
    expect(millicores('journey-sink-surge')).toBeLessThan(millicores('journey-sink'));
  });

  it('scales the surge sink on the lag of its own group and topic, never beyond the surge partitions', () => {
    const scaled = ofKind('ScaledObject');
    expect(scaled).toHaveLength(1);
    const spec = scaled[0]!.spec as {
      scaleTargetRef: { name: string };
      minReplicaCount: number;
      maxReplicaCount: number;
      triggers: { type: string; metadata: Record<string, string> }[];
    };
    const target = deployments.find((d) => d.metadata.name === spec.scaleTargetRef.name);
    expect(target && runs(container(target))).toBe('journey-sink-surge');
    // the autoscaler owns the count; a fixed one would be re-applied over it
    expect(target!.spec!.replicas).toBeUndefined();
    const [trigger] = spec.triggers;
    expect(trigger!.type).toBe('kafka');
    const { topic, consumerGroup, bootstrapServers, lagThreshold } = trigger!.metadata;
    expect(topicByName(topic!)).toBe(topics.journeySurge);
    expect(consumerGroup).toBe(`ut.${runs(container(target!))}`);
    expect(bootstrapServers).toBe(env.KAFKA_BROKERS);
    expect(Number(lagThreshold)).toBeGreaterThan(0);
    expect(spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(spec.maxReplicaCount).toBeLessThanOrEqual(topics.journeySurge.partitions);
  });
});

/**
 * `unitrail scale`: N supervised processes of one stage in one consumer group, the group's members,
 * partitions per member and lag reported every `everyMs`, until SIGINT or SIGTERM stops them cleanly.
 */
import type { Kafka } from 'kafkajs';
import { groupStatus } from '../kafka';
import { superviseStage } from './processes';

export async function scaleStage({
  kafka,
  stage,
  consumers,
  groupId,
  ownGroupId,
  topicNames,
  logDir,
  everyMs = 5000,
  say,
}: {
  kafka: Kafka;
  stage: string;
  consumers: number;
  /** The group the consumers join; when not the stage's own (`ownGroupId`), each runs `scale --group`. */
  groupId: string;
  ownGroupId: string;
  topicNames: string[];
  logDir: string;
  everyMs?: number;
  say: (line: string) => void;
}): Promise<void> {
  const before = await groupStatus(kafka, groupId, topicNames);
  if (consumers > before.partitions) {
    say(
      `scale: ${topicNames.join(', ')} has ${before.partitions} partitions, so ${consumers - before.partitions} of ${consumers} consumers will stand by (add partitions: 'unitrail surge expand')`,
    );
  }
  const supervisor = superviseStage({
    stage,
    consumers,
    logDir,
    groupId: groupId === ownGroupId ? undefined : groupId,
    onEvent: (l) => say(`scale: ${l}`),
  });
  say(
    `scale: ${consumers} × ${stage} in group ${groupId} (pids ${supervisor
      .consumers()
      .map((c) => c.pid)
      .join(', ')}); logs in ${logDir}/${stage}.<n>.log; Ctrl-C stops them`,
  );

  let signalled = false;
  let wake = () => {};
  const onSignal = (signal: string) => {
    if (signalled) return;
    signalled = true;
    say(`scale: ${signal}: stopping ${consumers} × ${stage} (each finishes its batch and leaves the group)`);
    wake();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  while (!signalled) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, everyMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (signalled) break;
    try {
      const s = await groupStatus(kafka, groupId, topicNames);
      const restarts = supervisor.consumers().reduce((n, c) => n + c.restarts, 0);
      say(
        `scale: ${stage}: ${s.members}/${consumers} members, partitions per member [${s.assigned.join(',')}] of ${s.partitions}, lag ${s.lag}, restarts ${restarts}`,
      );
    } catch (err) {
      say(`scale: cannot read the group's status: ${(err as Error).message}`);
    }
  }
  await supervisor.stop();
  const after = await groupStatus(kafka, groupId, topicNames).catch(() => null);
  say(`scale: stopped; lag of ${groupId} ${after?.lag ?? 'unknown'}`);
}

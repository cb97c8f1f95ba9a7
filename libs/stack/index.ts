/**
 * The local stack without Docker: Kafka (KRaft, one node) and Apicurio Registry fetched from
 * Maven Central into a jar cache and run on loopback; PostgreSQL and Redis from the machine, or
 * project-local ones when installed but not running. `unitrail stack up|down|status` wraps it.
 */
export { stackUp, stackDown, stackStatus, stackFiles, formatStackStatus } from './stack';
export { prepareStack, createTopics, registerSchemas, migrateDatabase, type PreparedStep } from './prepare';
export type { StackUpOptions, StackUpResult, PartUp, PartStatus, Progress } from './stack';
export { stackEnvironment, ENV_OF } from './state';
export type { PartName, EnvName } from './state';
export { kafkaJarsDir, apicurioDir, cacheRoot, stateDir, stackVersions } from './paths';
export { resolveKafkaJars } from './resolve';
export { findJava } from './prerequisites';
export { processAlive, readPid, statFields } from './processes';
export { repoRoot } from './paths';
export { kafkaEndpoint, isLoopback, urlPort } from './endpoints';
export { LOCAL_SASL_USER } from './kafka';

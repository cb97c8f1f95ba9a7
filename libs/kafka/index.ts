/** Kafka clients and administration (topics from the topic registry, groups, partitions). */
export { kafkaConnection, kafkaConnectError, createKafka, withAdmin, type KafkaSecurity } from './client';
export {
  ensureTopics,
  groupLag,
  groupStatus,
  expandPartitions,
  startGroupsAtEnd,
  type GroupStatus,
  type PartitionOffsets,
} from './admin';
export { encodeProduceInOnePass, encodeProducePayload } from './produce-encoding';

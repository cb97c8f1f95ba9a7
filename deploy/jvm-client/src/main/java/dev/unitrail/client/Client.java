package dev.unitrail.client;

import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * An outside client of unitrail, in Java with a published serde (Apicurio's Avro serde) in the
 * Confluent wire format: magic byte 0, the 4-byte schema id (the registry's content id, which its
 * Confluent-compatible API hands out), no headers.
 *
 * <pre>
 *   produce BOOTSTRAP REGISTRY_V2_URL TOPIC SCHEMA.avsc RECORDS   (RECORDS: lines of key TAB Avro-JSON)
 *   read    BOOTSTRAP REGISTRY_V2_URL TOPIC IDS TIMEOUT_SECONDS   (prints each wanted eventId it decoded)
 * </pre>
 */
public final class Client {
  private Client() {}

  static Map<String, Object> serde(String registry) {
    Map<String, Object> c = new HashMap<>();
    c.put(SerdeConfig.REGISTRY_URL, registry);
    c.put(SerdeConfig.ENABLE_CONFLUENT_ID_HANDLER, true); // 4-byte ids, as Confluent's serdes write
    c.put(SerdeConfig.USE_ID, "contentId"); // the id the ccompat API returns as the schema id
    c.put(SerdeConfig.ENABLE_HEADERS, false); // the id goes in the payload, not in headers
    c.put(SerdeConfig.FIND_LATEST_ARTIFACT, true); // use the schema unitrail registered
    c.put(SerdeConfig.AUTO_REGISTER_ARTIFACT, false);
    return c;
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 6 && args[0].equals("produce")) {
      System.exit(produce(args[1], args[2], args[3], new File(args[4]), Path.of(args[5])));
    } else if (args.length == 6 && args[0].equals("read")) {
      System.exit(read(args[1], args[2], args[3], Path.of(args[4]), Integer.parseInt(args[5])));
    }
    System.err.println("usage: produce BOOTSTRAP REGISTRY TOPIC SCHEMA RECORDS | read BOOTSTRAP REGISTRY TOPIC IDS TIMEOUT_SECONDS");
    System.exit(2);
  }

  static int produce(String bootstrap, String registry, String topic, File schemaFile, Path records)
      throws Exception {
    Schema schema = new Schema.Parser().parse(schemaFile);
    GenericDatumReader<GenericRecord> json = new GenericDatumReader<>(schema);
    Map<String, Object> c = serde(registry);
    c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroKafkaSerializer.class.getName());
    int sent = 0;
    try (KafkaProducer<String, GenericRecord> producer = new KafkaProducer<>(c)) {
      for (String line : Files.readAllLines(records, StandardCharsets.UTF_8)) {
        if (line.isEmpty()) continue;
        int tab = line.indexOf('\t');
        GenericRecord value =
            json.read(null, DecoderFactory.get().jsonDecoder(schema, line.substring(tab + 1)));
        producer.send(new ProducerRecord<>(topic, line.substring(0, tab), value)).get();
        sent++;
      }
    }
    System.out.println("sent " + sent);
    return 0;
  }

  static int read(String bootstrap, String registry, String topic, Path ids, int timeoutSeconds)
      throws Exception {
    Set<String> wanted = new HashSet<>(Files.readAllLines(ids, StandardCharsets.UTF_8));
    wanted.remove("");
    Map<String, Object> c = serde(registry);
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "jvm-client-" + UUID.randomUUID());
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroKafkaDeserializer.class.getName());
    long until = System.currentTimeMillis() + timeoutSeconds * 1000L;
    int decoded = 0;
    try (KafkaConsumer<String, GenericRecord> consumer = new KafkaConsumer<>(c)) {
      consumer.subscribe(List.of(topic));
      while (!wanted.isEmpty() && System.currentTimeMillis() < until) {
        for (ConsumerRecord<String, GenericRecord> r : consumer.poll(Duration.ofMillis(500))) {
          decoded++;
          String eventId = String.valueOf(r.value().get("eventId"));
          if (wanted.remove(eventId)) System.out.println(eventId);
        }
      }
    }
    System.err.println("decoded " + decoded + ", missing " + wanted.size());
    return wanted.isEmpty() ? 0 : 1;
  }
}

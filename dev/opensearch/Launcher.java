import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node for development and CI, started from the Maven jars: HTTP on 127.0.0.1, no security
 * plugin, single-node discovery. Usage: Launcher HOME HTTP_PORT. Data and logs live under HOME.
 */
public final class Launcher {
  /** Node's constructor that takes plugin classes is protected: this is all the subclass is for. */
  static final class DevNode extends Node {
    DevNode(Environment environment) {
      super(
          environment,
          List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, ReindexPlugin.class),
          true);
    }
  }

  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]).toAbsolutePath();
    String httpPort = args.length > 1 ? args[1] : "9200";
    Files.createDirectories(home.resolve("config"));
    Settings settings =
        Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "logflow-dev")
            .put("node.name", "logflow-dev")
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", "9300-9399")
            .put("discovery.type", "single-node")
            // A nearly full disk on a dev machine would otherwise turn every index read-only.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();
    // Logging comes from -Dlog4j2.configurationFile (dev/opensearch/log4j2.properties); without it,
    // fall back to OpenSearch's console defaults.
    if (System.getProperty("log4j2.configurationFile") == null) {
      LogConfigurator.registerErrorListener();
      LogConfigurator.configureWithoutConfig(settings);
    }
    Environment environment =
        InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "logflow-dev");
    Node node = new DevNode(environment);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    node.close();
                  } catch (Exception e) {
                    e.printStackTrace();
                  }
                  stopped.countDown();
                }));
    node.start();
    System.out.println("logflow-dev OpenSearch node started, HTTP on 127.0.0.1:" + httpPort);
    stopped.await();
  }
}

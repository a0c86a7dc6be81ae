package org.itddcds.hapi;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;

/**
 * Entry point: {@code java -jar hapi-fhir-server.jar [PORT]}.
 *
 * <p>The port may be given as the first plain argument, as {@code --port=N}, as
 * {@code --server.port=N}, or via the {@code server.port} system property. Default 8080.
 * The FHIR base URL is {@code http://localhost:PORT/fhir}.
 */
public final class HapiFhirServerApplication {

  private HapiFhirServerApplication() {}

  public static void main(String[] args) {
    final long t0 = System.nanoTime();
    List<String> springArgs = new ArrayList<>();
    String port = System.getProperty("server.port", "8080");
    for (String arg : args) {
      if (arg.matches("\\d+")) {
        port = arg;
      } else if (arg.startsWith("--port=")) {
        port = arg.substring("--port=".length());
      } else {
        springArgs.add(arg);
      }
    }

    Map<String, Object> defaults = new HashMap<>();
    defaults.put("server.port", port);
    defaults.put("server.address", "127.0.0.1");
    defaults.put("spring.main.banner-mode", "off");
    defaults.put("spring.main.allow-circular-references", "true");
    defaults.put("spring.main.allow-bean-definition-overriding", "false");
    defaults.put("logging.level.root", "WARN");
    defaults.put("logging.level.org.itddcds", "INFO");
    // Known-noisy but harmless warnings during schema creation / startup.
    defaults.put("logging.level.org.hibernate", "ERROR");
    defaults.put("logging.level.org.hibernate.orm.deprecation", "ERROR");
    defaults.put("logging.level.ca.uhn.fhir.parser.LenientErrorHandler", "ERROR");
    defaults.put("logging.level.org.springframework.context.support.PostProcessorRegistrationDelegate", "ERROR");

    SpringApplication app = new SpringApplication(FhirServerConfig.class);
    app.setWebApplicationType(WebApplicationType.SERVLET);
    app.setDefaultProperties(defaults);
    app.setLogStartupInfo(false);
    app.addListeners((ApplicationListener<ApplicationReadyEvent>) event -> {
      Environment env = event.getApplicationContext().getEnvironment();
      String actualPort = env.getProperty("local.server.port", env.getProperty("server.port"));
      String host = env.getProperty("server.address", "127.0.0.1");
      long ms = (System.nanoTime() - t0) / 1_000_000L;
      System.out.println("HAPI FHIR R4 JPA server started: http://" + host + ":" + actualPort
          + "/fhir (startup " + ms + " ms)");
      System.out.flush();
    });
    app.run(springArgs.toArray(new String[0]));
  }
}

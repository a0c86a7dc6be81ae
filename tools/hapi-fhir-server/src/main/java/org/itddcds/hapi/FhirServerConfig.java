package org.itddcds.hapi;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.provider.ValueSetOperationProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.IncomingRequestAddressStrategy;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import jakarta.persistence.EntityManagerFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Properties;
import javax.sql.DataSource;
import org.apache.commons.dbcp2.BasicDataSource;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.transaction.annotation.EnableTransactionManagement;

/**
 * The whole server: HAPI's own R4 JPA configuration plus the few beans HAPI expects the
 * application to supply (data source, entity manager factory, transaction manager,
 * storage settings), an embedded Tomcat and the FHIR servlet at /fhir/*.
 *
 * <p>No Spring Boot auto-configuration is used on purpose: everything is explicit.
 */
@Configuration
@EnableTransactionManagement
@Import({
  JpaR4Config.class, // FhirContext (R4), DAOs, resource providers, validation chain, JpaConfig
  HapiJpaConfig.class, // paging provider, fulltext (disabled) and stale-search services
  JpaBatch2Config.class, // batch2 job persistence (terminology, $reindex, $expunge plumbing)
  Batch2JobsConfig.class, // job definitions used by delete-expunge, reindex, term upload
  SubscriptionChannelConfig.class, // in-memory message broker that batch2 runs on
  ThreadPoolFactoryConfig.class
})
public class FhirServerConfig {

  static final int DEFAULT_PAGE_SIZE = 20;
  static final int MAX_PAGE_SIZE = 200;

  // ---------------------------------------------------------------- web server

  @Bean
  public TomcatServletWebServerFactory servletWebServerFactory(Environment env)
      throws UnknownHostException {
    TomcatServletWebServerFactory factory = new TomcatServletWebServerFactory();
    factory.setPort(env.getProperty("server.port", Integer.class, 8080));
    factory.setAddress(InetAddress.getByName(env.getProperty("server.address", "127.0.0.1")));
    factory.addConnectorCustomizers(connector -> {
      // Allow unencoded token-search separators such as code=http://loinc.org|1234-5.
      connector.setProperty("relaxedQueryChars", "|[]{}^`\"<>\\");
      connector.setProperty("relaxedPathChars", "|[]{}^`\"<>\\");
      connector.setProperty("maxThreads", "50");
      connector.setProperty("minSpareThreads", "4");
    });
    return factory;
  }

  @Bean
  public FilterRegistrationBean<BearerTokenFilter> bearerTokenFilter(Environment env) {
    String token = env.getProperty("HAPI_REQUIRE_TOKEN", "");
    FilterRegistrationBean<BearerTokenFilter> reg =
        new FilterRegistrationBean<>(new BearerTokenFilter(token));
    reg.addUrlPatterns("/fhir/*");
    reg.setEnabled(!token.isEmpty());
    return reg;
  }

  @Bean
  public ServletRegistrationBean<RestfulServer> fhirServletRegistration(RestfulServer server) {
    ServletRegistrationBean<RestfulServer> reg = new ServletRegistrationBean<>(server, "/fhir/*");
    reg.setName("fhir");
    reg.setLoadOnStartup(1);
    return reg;
  }

  // ---------------------------------------------------------------- storage

  @Bean(destroyMethod = "close")
  public BasicDataSource dataSource() {
    BasicDataSource ds = new BasicDataSource();
    ds.setDriverClassName("org.h2.Driver");
    ds.setUrl("jdbc:h2:mem:hapi;DB_CLOSE_DELAY=-1");
    ds.setUsername("sa");
    ds.setPassword("");
    ds.setMaxTotal(10);
    return ds;
  }

  @Bean
  @Primary
  public LocalContainerEntityManagerFactoryBean entityManagerFactory(
      ConfigurableListableBeanFactory beanFactory,
      FhirContext fhirContext,
      JpaStorageSettings storageSettings,
      DataSource dataSource) {
    LocalContainerEntityManagerFactoryBean emf =
        HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
    emf.setPersistenceUnitName("HAPI_PU");
    emf.setDataSource(dataSource);
    Properties p = new Properties();
    p.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
    p.put("hibernate.hbm2ddl.auto", "update");
    p.put("hibernate.show_sql", "false");
    p.put("hibernate.format_sql", "false");
    p.put("hibernate.jdbc.batch_size", "20");
    p.put("hibernate.cache.use_query_cache", "false");
    p.put("hibernate.cache.use_second_level_cache", "false");
    p.put("hibernate.cache.use_structured_entries", "false");
    p.put("hibernate.cache.use_minimal_puts", "false");
    p.put("hibernate.archive.scanner", "org.hibernate.boot.archive.scan.internal.DisabledScanner");
    p.put("hibernate.search.enabled", "false"); // no Lucene/Elasticsearch
    emf.setJpaProperties(p);
    return emf;
  }

  @Bean
  @Primary
  public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
    JpaTransactionManager tm = new JpaTransactionManager();
    tm.setEntityManagerFactory(entityManagerFactory);
    return tm;
  }

  @Bean
  public JpaStorageSettings jpaStorageSettings() {
    JpaStorageSettings s = new JpaStorageSettings();
    // Tests must always see fresh data after writes: never reuse a cached search.
    s.setReuseCachedSearchResultsForMillis(null);
    // Client-assigned ids of any form (e.g. "s0-patient", or purely numeric) via PUT;
    // server-assigned ids are then UUIDs so the two can never collide.
    s.setResourceClientIdStrategy(JpaStorageSettings.ClientIdStrategyEnum.ANY);
    s.setResourceServerIdStrategy(JpaStorageSettings.IdStrategyEnum.UUID);
    s.setAllowExternalReferences(true);
    // Let tests clean up after themselves ($expunge, conditional multi-delete).
    s.setAllowMultipleDelete(true);
    s.setExpungeEnabled(true);
    s.setDeleteExpungeEnabled(true);
    return s;
  }

  @Bean
  public PartitionSettings partitionSettings() {
    return new PartitionSettings();
  }

  @Bean
  public SubscriptionSettings subscriptionSettings() {
    return new SubscriptionSettings();
  }

  // ---------------------------------------------------------------- FHIR REST server

  @Bean
  public RestfulServer restfulServer(
      FhirContext fhirContext,
      @Qualifier("myResourceProvidersR4") ResourceProviderFactory resourceProviders,
      JpaSystemProvider<?, ?> systemProvider,
      IFhirSystemDao<?, ?> systemDao,
      JpaStorageSettings storageSettings,
      ISearchParamRegistry searchParamRegistry,
      IValidationSupport validationSupport,
      DatabaseBackedPagingProvider pagingProvider,
      ValueSetOperationProvider valueSetOperationProvider) {
    RestfulServer server = new RestfulServer(fhirContext);
    server.registerProviders(resourceProviders.createProviders());
    server.registerProvider(systemProvider); // transaction/batch, $meta, history, ...
    server.registerProvider(valueSetOperationProvider); // $expand, $validate-code

    JpaCapabilityStatementProvider capabilities = new JpaCapabilityStatementProvider(
        server, systemDao, storageSettings, searchParamRegistry, validationSupport);
    capabilities.setImplementationDescription("HAPI FHIR R4 JPA test server (in-memory H2)");
    server.setServerConformanceProvider(capabilities);

    pagingProvider.setDefaultPageSize(DEFAULT_PAGE_SIZE);
    pagingProvider.setMaximumPageSize(MAX_PAGE_SIZE);
    server.setPagingProvider(pagingProvider);

    // Paging links are built from the URL the client used to reach us.
    server.setServerAddressStrategy(new IncomingRequestAddressStrategy());
    server.setDefaultResponseEncoding(EncodingEnum.JSON);
    server.setDefaultPrettyPrint(false);
    return server;
  }
}

package org.qkdnf.controller.app.osgi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential.PemFiles;
import org.qkdnf.proto.southbound.v1.AgentCapabilities;
import org.qkdnf.proto.southbound.v1.ConnectRequest;
import org.qkdnf.proto.southbound.v1.ConnectResponse;
import org.qkdnf.proto.southbound.v1.Hello;
import org.qkdnf.proto.southbound.v1.Inventory;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdLinkEnd;
import org.qkdnf.proto.southbound.v1.QkdNode;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.qkdnf.proto.southbound.v1.QkdlType;
import org.qkdnf.proto.southbound.v1.QkdnStatus;
import org.qkdnf.proto.southbound.v1.QuantumLayerServiceGrpc;

/**
 * Boots the OSGi framework of ONOS 2.7 (Apache Felix 5.6.12 with Felix SCR) with ONOS's API
 * bundles at their 2.7.0 versions, installs the built app bundle and checks that it resolves,
 * starts, and that its Declarative Services components become ACTIVE against stand-ins of the
 * ONOS services they reference; then drives the topology through the exported service, so the
 * ConsistentMap store (ONOS's Kryo serializer, the embedded protobuf 4) runs inside OSGi; then
 * configures the Sq server through ConfigurationAdmin and has an agent connect to it over mutual
 * TLS, so the embedded gRPC and Netty serve inside the framework next to ONOS's Guava 22.
 *
 * A second test adds Karaf 4.2.9's shell and ONOS's onos-cli and runs {@code qkd-nodes} and
 * {@code qkd-links -j} in a shell session.
 *
 * <p>What it cannot show: ONOS itself (its distributed store and web container, onos-core-net and
 * the release are not on Maven Central), hence the stand-ins; the REST classes are loaded but not
 * served here (REST is tested over HTTP in QkdTopologyWebResourceTest).
 */
class ControllerAppBundleIT {

    private static final String A = "a0000000-0000-4000-8000-00000000000a";
    private static final String B = "b0000000-0000-4000-8000-00000000000b";
    private static final String AB = "ab000000-0000-4000-8000-0000000000ab";
    /** ComponentConfigurationDTO.ACTIVE */
    private static final int ACTIVE = 8;

    @TempDir
    Path dir;

    private final DevCertificateAuthority ca = DevCertificateAuthority.create("it");

    private Framework framework;

    @BeforeEach
    void boot() throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, dir.resolve("felix-cache").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        // Felix 5.6 predates Java 11 and does not announce it; ONOS's Karaf configures the same.
        config.put(Constants.FRAMEWORK_SYSTEMCAPABILITIES_EXTRA,
                "osgi.ee;osgi.ee=\"JavaSE\";version:List<Version>=\"1.8,9,10,11\"");
        // Karaf exports sun.misc from the system bundle; Kryo, Guava and Netty use it.
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "sun.misc,sun.nio.ch");
        // Felix 5.6's URL stream handler factory breaks the JDK 17 JCE's lazy initialisation
        // ("Unknown protocol: http" in JceSecurity, which TLS needs); ONOS 2.7 runs on Java 11.
        config.put("felix.service.urlhandlers", "false");
        framework = new FrameworkFactory().newFramework(config);
        framework.start();
    }

    @AfterEach
    void shutdown() throws Exception {
        if (framework != null) {
            framework.stop();
            framework.waitForStop(10_000);
        }
    }

    @Test
    void appBundleResolvesStartsAndItsComponentsBecomeActive() throws Exception {
        BundleContext ctx = framework.getBundleContext();
        installPlatform(ctx, false);

        Bundle app = ctx.installBundle(Paths.get(System.getProperty("qkdnf.app.bundle")).toUri().toString());
        try {
            app.start();
        } catch (BundleException e) {
            throw new AssertionError("app bundle did not resolve/start: " + e.getMessage(), e);
        }
        assertThat(app.getState()).isEqualTo(Bundle.ACTIVE);
        assertThat(app.getSymbolicName()).isEqualTo("org.qkdnf.controller");
        assertPrivatePackaging(app);

        Map<String, Integer> states = componentStates(ctx, app);
        assertThat(states).containsOnlyKeys(
                "org.qkdnf.controller.app.store.DistributedQkdTopologyStore",
                "org.qkdnf.controller.app.impl.QkdControllerManager",
                "org.qkdnf.controller.app.impl.SqServerManager",
                "org.qkdnf.controller.app.store.DistributedKeyManagementStore",
                "org.qkdnf.controller.app.impl.KeyManagementComponent",
                "org.qkdnf.controller.app.keyservice.KeyServiceComponent",
                "org.qkdnf.controller.app.policy.QkdPolicyManager",
                "org.qkdnf.controller.app.provider.QkdTopologyPublisher",
                "org.qkdnf.controller.app.rest.ApiDocRegistrator");
        assertThat(states.values()).as("component states %s", states).containsOnly(ACTIVE);

        // The REST resources' imports (JAX-RS, onlab-rest, onos-api) are wired: the class loads;
        // and the API document (onos-maven-plugin swagger) is registered and readable.
        assertThat(app.loadClass("org.qkdnf.controller.app.rest.QkdNodesWebResource")).isNotNull();
        Object apiDocs = service(ctx, "org.onosproject.rest.ApiDocService");
        Object provider = apiDocs.getClass().getMethod("getDocProvider", String.class).invoke(apiDocs, "/onos/qkdnf");
        assertThat(provider).as("API doc provider of /onos/qkdnf").isNotNull();
        try (InputStream docs = (InputStream) provider.getClass().getMethod("docs").invoke(provider)) {
            assertThat(new String(docs.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                    .contains("\"/nodes/{qkdnId}\"", "\"/links\"", "\"/services/{serviceId}\"", "\"/paths\"");
        }

        // A node's inventory through the exported admin service, read back through the service.
        Object admin = service(ctx, "org.qkdnf.controller.api.QkdTopologyAdminService");
        Class<?> nodeClass = app.loadClass("org.qkdnf.proto.southbound.v1.QkdNode");
        assertThat(nodeClass.getClassLoader()).as("protobuf classes come from inside the app bundle")
                .isNotSameAs(QkdNode.class.getClassLoader());
        Object node = nodeClass.getMethod("parseFrom", byte[].class).invoke(null, inventory().toByteArray());
        admin.getClass().getMethod("applyInventory", nodeClass).invoke(admin, node);
        Collection<?> nodes = (Collection<?>) admin.getClass().getMethod("getNodes").invoke(admin);
        Collection<?> links = (Collection<?>) admin.getClass().getMethod("getLinks").invoke(admin);
        assertThat(nodes).hasSize(1);
        assertThat(links).hasSize(1);

        // Sq inside OSGi: configure the TLS files through ConfigurationAdmin (what ONOS's
        // ComponentConfigService does), SCR calls @Modified, and an agent connects over mTLS.
        PemFiles controller = ca.issue("controller-1", Role.CONTROLLER, "it").writeTo(dir, "controller");
        PemFiles agent = ca.issue(B, Role.QKD_NODE, "it").writeTo(dir, "agent");
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("sqAddress", "127.0.0.1");
        props.put("sqPort", 0);
        props.put("tlsCertificateChain", controller.certificateChain().toString());
        props.put("tlsPrivateKey", controller.privateKey().toString());
        props.put("tlsTrustedCa", controller.trustedCa().toString());
        Object configAdmin = service(ctx, "org.osgi.service.cm.ConfigurationAdmin");
        Object configuration = configAdmin.getClass().getMethod("getConfiguration", String.class, String.class)
                .invoke(configAdmin, "org.qkdnf.controller.app.impl.SqServerManager", null);
        configuration.getClass().getMethod("update", Dictionary.class).invoke(configuration, props);
        Object sq = service(ctx, "org.qkdnf.controller.api.QkdCommandService");
        int port = awaitPort(sq);
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", port, GrpcTls.channelCredentials(
                new TlsFiles(agent.certificateChain(), agent.privateKey(), agent.trustedCa()))).build();
        try {
            StreamObserver<ConnectRequest> out = QuantumLayerServiceGrpc.newStub(channel).connect(new NoResponses());
            out.onNext(ConnectRequest.newBuilder().setSeq(1).setHello(Hello.newBuilder().setQkdnId(B)
                    .setAgentVersion("it").setAgentInstanceId("run-1")
                    .setCapabilities(AgentCapabilities.newBuilder().setDriver("it"))).build());
            out.onNext(ConnectRequest.newBuilder().setSeq(2).setInventory(Inventory.newBuilder()
                    .setQkdNode(QkdNode.newBuilder().setQkdnId(B).setQkdnName("bob")
                            .setQkdnStatus(QkdnStatus.QKDN_STATUS_OPERATING))).build());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (((Collection<?>) admin.getClass().getMethod("getNodes").invoke(admin)).size() < 2) {
                assertThat(System.nanoTime()).as("agent's inventory arrives over Sq").isLessThan(deadline);
                Thread.sleep(50);
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }

        app.stop();
        assertThat(app.getState()).isEqualTo(Bundle.RESOLVED);
    }

    /**
     * gRPC, protobuf and Guava are the bundle's own (never imported, so never wired to ONOS's
     * older exports), nothing is exported, and the classes are Java 11 (major 55) for ONOS 2.7.
     */
    private static void assertPrivatePackaging(Bundle app) throws IOException {
        String imports = app.getHeaders().get(Constants.IMPORT_PACKAGE);
        for (String pkg : imports.split(",(?=[a-z])")) {
            assertThat(pkg).as("Import-Package entry")
                    .doesNotStartWith("io.grpc").doesNotStartWith("com.google.protobuf")
                    .doesNotStartWith("com.google.common").doesNotStartWith("java.");
        }
        assertThat(app.getHeaders().get(Constants.EXPORT_PACKAGE)).isNull();
        assertThat(app.getHeaders().get(Constants.BUNDLE_CLASSPATH))
                .contains("lib/grpc-netty-shaded-", "lib/protobuf-java-4.", "lib/qkdnf-controller-core-");
        for (String cls : List.of("org/qkdnf/controller/app/impl/QkdControllerManager.class",
                "org/qkdnf/controller/app/store/DistributedQkdTopologyStore.class")) {
            try (InputStream in = app.getEntry(cls).openStream()) {
                byte[] head = in.readNBytes(8);
                assertThat(((head[6] & 0xff) << 8) | (head[7] & 0xff)).as("class-file major of %s", cls).isEqualTo(55);
            }
        }
    }

    /** The Sq port once SCR has applied the configuration (asynchronously). */
    private static int awaitPort(Object sqServerManager) throws Exception {
        Method port = sqServerManager.getClass().getMethod("sqListenPort");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            OptionalInt p = (OptionalInt) port.invoke(sqServerManager);
            if (p.isPresent()) {
                return p.getAsInt();
            }
            assertThat(System.nanoTime()).as("Sq server started after configuration").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** The test only needs the controller to read the stream. */
    private static final class NoResponses implements StreamObserver<ConnectResponse> {
        @Override
        public void onNext(ConnectResponse value) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }

    /**
     * With ONOS's CLI bundle and Karaf's shell installed before the app (as in ONOS), the app's
     * optional shell imports are wired, Karaf's extender registers its commands from the
     * Karaf-Commands header, and {@code qkd-nodes} / {@code qkd-links} run in a shell session.
     */
    @Test
    void cliCommandsRunInKarafShellWithOnosCli() throws Exception {
        BundleContext ctx = framework.getBundleContext();
        installPlatform(ctx, true);
        Bundle app = ctx.installBundle(Paths.get(System.getProperty("qkdnf.app.bundle")).toUri().toString());
        app.start();
        assertThat(app.loadClass("org.qkdnf.controller.app.cli.QkdNodesCommand")).isNotNull();

        Object admin = service(ctx, "org.qkdnf.controller.api.QkdTopologyAdminService");
        Class<?> nodeClass = app.loadClass("org.qkdnf.proto.southbound.v1.QkdNode");
        Object node = nodeClass.getMethod("parseFrom", byte[].class).invoke(null, inventory().toByteArray());
        admin.getClass().getMethod("applyInventory", nodeClass).invoke(admin, node);

        String nodes = runCommand(ctx, "qkd-nodes");
        assertThat(nodes).contains("qkdnId=" + A + ", name=alice").contains("agent=connected");
        String links = runCommand(ctx, "qkd-links -j");
        assertThat(links).contains("\"qkdl_id\":\"" + AB + "\"").contains("\"qkdl_status\":\"PENDING\"");
        // The key-service commands (with their completers) are registered; no service exists yet.
        assertThat(runCommand(ctx, "qkd-services -j")).contains("{\"services\":[]}");
    }

    /** Runs a command line in a new Karaf shell session; retries while the command is not registered yet. */
    private static String runCommand(BundleContext ctx, String line) throws Exception {
        Object factory = service(ctx, "org.apache.karaf.shell.api.console.SessionFactory");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            Object session = factory.getClass().getMethod("create", InputStream.class, java.io.PrintStream.class,
                    java.io.PrintStream.class).invoke(factory, new java.io.ByteArrayInputStream(new byte[0]),
                    new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
            try {
                session.getClass().getMethod("execute", CharSequence.class).invoke(session, line);
                assertThat(err.toString()).as("stderr of %s", line).isEmpty();
                return out.toString();
            } catch (java.lang.reflect.InvocationTargetException e) {
                boolean notYet = String.valueOf(e.getCause().getMessage()).contains("not found");
                if (!notYet || System.nanoTime() > deadline) {
                    throw new AssertionError(line + " failed: " + e.getCause(), e.getCause());
                }
                Thread.sleep(100);
            } finally {
                session.getClass().getMethod("close").invoke(session);
            }
        }
    }

    /** Installs and starts the ONOS 2.7 platform bundles (and, if asked, its shell and CLI) and the stand-ins. */
    private void installPlatform(BundleContext ctx, boolean withShell) throws Exception {
        List<Bundle> platform = new ArrayList<>();
        List<Path> jars = new ArrayList<>(files(Paths.get(System.getProperty("qkdnf.felix.bundles"))));
        if (withShell) {
            jars.addAll(files(Paths.get(System.getProperty("qkdnf.felix.shell"))));
        }
        for (Path p : jars) {
            platform.add(ctx.installBundle(p.toUri().toString()));
        }
        platform.add(ctx.installBundle(standInBundle().toUri().toString()));
        for (Bundle b : platform) {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                b.start();
            }
        }
        for (Bundle b : platform) {
            assertThat(b.getState()).as(b.getSymbolicName()).isIn(Bundle.ACTIVE, Bundle.RESOLVED);
        }
    }

    private static QkdNode inventory() {
        return QkdNode.newBuilder().setQkdnId(A).setQkdnName("alice")
                .addQkdLinks(QkdLink.newBuilder().setQkdlId(AB)
                        .setQkdlLocal(QkdLinkEnd.newBuilder().setQkdnId(A))
                        .setQkdlRemote(QkdLinkEnd.newBuilder().setQkdnId(B))
                        .setQkdlType(QkdlType.QKDL_TYPE_PHYS)
                        .setQkdlStatus(QkdlStatus.QKDL_STATUS_ACTIVE)
                        .setPhysQkdRole(PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER))
                .build();
    }

    private static Object service(BundleContext ctx, String name) {
        ServiceReference<?> ref = ctx.getServiceReference(name);
        assertThat(ref).as("service %s registered", name).isNotNull();
        return ctx.getService(ref);
    }

    /**
     * Component name → state, read from SCR's ServiceComponentRuntime by reflection: its DTO
     * classes inside the framework are not the ones on this test's class path.
     */
    private static Map<String, Integer> componentStates(BundleContext ctx, Bundle app) throws Exception {
        Object scr = service(ctx, "org.osgi.service.component.runtime.ServiceComponentRuntime");
        Method descriptions = scr.getClass().getMethod("getComponentDescriptionDTOs", Bundle[].class);
        Collection<?> dtos = (Collection<?>) descriptions.invoke(scr, (Object) new Bundle[] {app});
        Map<String, Integer> states = new HashMap<>();
        for (Object d : dtos) {
            String name = (String) d.getClass().getField("name").get(d);
            Method configurations = null;
            for (Method m : scr.getClass().getMethods()) {
                if (m.getName().equals("getComponentConfigurationDTOs")) {
                    configurations = m;
                }
            }
            Collection<?> cs = (Collection<?>) configurations.invoke(scr, d);
            assertThat(cs).as("configurations of %s", name).hasSize(1);
            Object c = cs.iterator().next();
            states.put(name, (Integer) c.getClass().getField("state").get(c));
        }
        return states;
    }

    private static List<Path> files(Path bundles) throws IOException {
        try (Stream<Path> s = Files.list(bundles)) {
            return s.filter(p -> p.toString().endsWith(".jar")).sorted().collect(Collectors.toList());
        }
    }

    /**
     * A bundle holding onos-api's test adapters (on its Bundle-ClassPath) and this package's
     * activator, importing everything else from the framework.
     */
    private Path standInBundle() throws IOException {
        Path testsJar = files(Paths.get(System.getProperty("qkdnf.felix.standins"))).get(0);
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        a.putValue(Constants.BUNDLE_SYMBOLICNAME, "org.qkdnf.controller.app.standins");
        a.putValue(Constants.BUNDLE_VERSION, "1.0.0");
        a.putValue(Constants.BUNDLE_ACTIVATOR, StandInOnosServices.class.getName());
        a.putValue(Constants.BUNDLE_CLASSPATH, ".,onos-api-tests.jar");
        a.putValue(Constants.IMPORT_PACKAGE, "org.osgi.framework");
        // The adapters share packages with onos-api (split packages): Require-Bundle, unlike
        // Import-Package, still lets the bundle's own copy supply the classes onos-api lacks.
        a.putValue(Constants.REQUIRE_BUNDLE, "org.onosproject.onos-api");
        a.putValue(Constants.DYNAMICIMPORT_PACKAGE, "*");
        Path jar = dir.resolve("standins.jar");
        String pkg = StandInOnosServices.class.getPackage().getName().replace('.', '/');
        Path classes = Paths.get(StandInOnosServices.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, mf)) {
            j.putNextEntry(new JarEntry("onos-api-tests.jar"));
            Files.copy(testsJar, j);
            j.closeEntry();
            for (String cls : List.of(StandInOnosServices.class.getSimpleName(), StandInCoreService.class.getSimpleName(),
                    StandInAuditService.class.getSimpleName(), StandInApiDocService.class.getSimpleName(),
                    StandInProviderRegistries.class.getSimpleName(), StandInDeviceAdminService.class.getSimpleName())) {
                j.putNextEntry(new JarEntry(pkg + "/" + cls + ".class"));
                try (InputStream in = Files.newInputStream(classes.resolve(pkg + "/" + cls + ".class"))) {
                    in.transferTo(j);
                }
                j.closeEntry();
            }
        }
        return jar;
    }
}

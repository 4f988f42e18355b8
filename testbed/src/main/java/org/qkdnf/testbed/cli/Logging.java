package org.qkdnf.testbed.cli;

import java.nio.file.Path;

import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Sends all logs to one file: slf4j-simple (the suite's own logs) configured by system properties,
 * which it reads once when the first logger is created, and java.util.logging (grpc-java, Netty)
 * bridged into it.
 */
final class Logging {

    private Logging() {
    }

    /** Must run before the first SLF4J logger is created; a property set by the user wins. */
    static void toFile(Path file) {
        setIfAbsent("org.slf4j.simpleLogger.logFile", file.toAbsolutePath().toString());
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "info");
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.INFO);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}

package org.qkdnf.controller.app.impl;

/**
 * Names and defaults of the app's component configuration properties (ONOS {@code cfg}). Kept
 * to plain constants and Java 8 syntax: onos-maven-plugin's {@code cfg} goal parses this file.
 */
public final class OsgiPropertyConstants {

    private OsgiPropertyConstants() {
    }

    public static final String QBER_DEGRADED_THRESHOLD = "qberDegradedThreshold";
    /** Same as ControllerSettings.QBER_DEGRADED_THRESHOLD_DEFAULT (a test pins it). */
    public static final double QBER_DEGRADED_THRESHOLD_DEFAULT = 0.08;

    public static final String SQ_ADDRESS = "sqAddress";
    public static final String SQ_ADDRESS_DEFAULT = "0.0.0.0";

    public static final String SQ_PORT = "sqPort";
    public static final int SQ_PORT_DEFAULT = 50051;

    public static final String TLS_CERTIFICATE_CHAIN = "tlsCertificateChain";
    public static final String TLS_CERTIFICATE_CHAIN_DEFAULT = "";

    public static final String TLS_PRIVATE_KEY = "tlsPrivateKey";
    public static final String TLS_PRIVATE_KEY_DEFAULT = "";

    public static final String TLS_TRUSTED_CA = "tlsTrustedCa";
    public static final String TLS_TRUSTED_CA_DEFAULT = "";

    public static final String CONTROLLER_ID = "controllerId";
    public static final String CONTROLLER_ID_DEFAULT = "qkdnf-controller";
}

package org.qkdnf.common.config;

/** A configuration file that cannot be used; the message names the file, and the line or field. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}

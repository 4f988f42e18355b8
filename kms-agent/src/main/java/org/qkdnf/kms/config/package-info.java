/**
 * The key manager's configuration file (YAML): {@link org.qkdnf.kms.config.KmsConfigLoader} reads
 * it strictly into a {@link org.qkdnf.kms.config.KmsConfig}.
 */
package org.qkdnf.kms.config;

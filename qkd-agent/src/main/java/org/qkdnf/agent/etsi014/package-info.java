/**
 * A driver for vendor QKD devices that hand out key only through their own ETSI GS QKD 014
 * interface: an HTTPS client of that interface, the driver, and the key_ID hand-over between the
 * two agents of a device link (gRPC {@code qkdnf.devicekeys.v1}).
 */
package org.qkdnf.agent.etsi014;

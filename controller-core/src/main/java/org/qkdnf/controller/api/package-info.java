/**
 * The QKDN controller's public API, split the ONOS way: {@link org.qkdnf.controller.api.QkdTopologyService}
 * for reads and listeners, {@link org.qkdnf.controller.api.QkdTopologyAdminService} for writes, a
 * {@link org.qkdnf.controller.api.QkdTopologyStore} with its delegate, events and listeners, and the
 * {@link org.qkdnf.controller.api.QkdCommandService} that sends commands to agents. Java 11, no ONOS types.
 */
package org.qkdnf.controller.api;

/** The controller's policies in ONOS network configuration (netcfg), applied on netcfg events. */
package org.qkdnf.controller.app.policy;

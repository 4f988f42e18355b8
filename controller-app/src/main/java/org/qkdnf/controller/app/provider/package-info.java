/** QKD nodes and links published into ONOS's own topology through a device and a link provider. */
package org.qkdnf.controller.app.provider;

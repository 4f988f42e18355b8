/** Key services (Nc) inside ONOS: one leader runs the core's manager over ConsistentMaps; the others forward. */
package org.qkdnf.controller.app.keyservice;

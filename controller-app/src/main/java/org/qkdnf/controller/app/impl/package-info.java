/**
 * The QKDN controller's components inside ONOS: the topology manager over the cluster store and
 * the Sq server, with their component configuration properties.
 */
package org.qkdnf.controller.app.impl;

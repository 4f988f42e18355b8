/** ONOS CLI (Karaf shell) commands {@code qkd-nodes} and {@code qkd-links}. */
package org.qkdnf.controller.app.cli;

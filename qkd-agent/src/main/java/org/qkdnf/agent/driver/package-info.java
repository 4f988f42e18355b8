/**
 * The agent's view of QKD modules: what a driver for a vendor's module, or a simulation of one,
 * must provide.
 */
package org.qkdnf.agent.driver;

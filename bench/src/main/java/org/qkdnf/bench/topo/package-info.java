/** Synthetic QKD networks and valid ETSI GS QKD 015 messages for them. */
package org.qkdnf.bench.topo;

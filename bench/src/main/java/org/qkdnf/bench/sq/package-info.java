/**
 * The Sq ingest load driver: a controller under test, a fleet of simulated agents on mTLS
 * streams, an open-loop pacer, and a latency probe on the controller's topology events.
 */
package org.qkdnf.bench.sq;

/**
 * Path computation benchmarks: {@link org.qkdnf.bench.path.PathBenchmark} (JMH, ours against
 * JGraphT and ONOS's org.onlab.graph on generated QKD-like topologies) and
 * {@link org.qkdnf.bench.path.PathAgreementMain} (do the costs agree).
 */
package org.qkdnf.bench.path;

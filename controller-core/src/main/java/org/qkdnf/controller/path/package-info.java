/**
 * Path computation for key services, as a pure library (no gRPC, no store).
 *
 * <p>{@link org.qkdnf.controller.path.PathGraph} is a compact CSR snapshot of the key-relay
 * graph built once per topology snapshot; {@link org.qkdnf.controller.path.CostFunction} weights
 * its edges for a request (the formula and its reasons are documented there);
 * {@link org.qkdnf.controller.path.PathEngine} answers {@link org.qkdnf.controller.path.PathRequest}s:
 * constrained shortest path (A* with an exact reverse-Dijkstra heuristic; exact hop-limited
 * fallback; waypoints by greedy segments), k shortest simple paths (Yen with Lawler's
 * refinement), a minimum-cost node- or link-disjoint pair (Suurballe via node splitting) and a
 * multi-path rate split (successive shortest augmenting paths). All answers are deterministic.
 */
package org.qkdnf.controller.path;

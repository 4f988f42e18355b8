package org.qkdnf.controller.path;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a path query asks for: endpoints, the key rate to carry (bit/s; 0 = any), and the
 * constraints: maximum hops, nodes to avoid (trust policy) and nodes to pass through in order.
 */
public final class PathRequest {
    /** No hop limit. */
    public static final int UNLIMITED_HOPS = Integer.MAX_VALUE;

    private final String source;
    private final String target;
    private final double requestedRate;
    private final int maxHops;
    private final Set<String> avoid;
    private final List<String> via;

    private PathRequest(Builder b) {
        this.source = b.source;
        this.target = b.target;
        this.requestedRate = b.requestedRate;
        this.maxHops = b.maxHops;
        this.avoid = Collections.unmodifiableSet(new LinkedHashSet<>(b.avoid));
        this.via = Collections.unmodifiableList(new ArrayList<>(b.via));
    }

    public static Builder builder(String source, String target) {
        return new Builder(source, target);
    }

    public String source() {
        return source;
    }

    public String target() {
        return target;
    }

    public double requestedRate() {
        return requestedRate;
    }

    public int maxHops() {
        return maxHops;
    }

    public Set<String> avoid() {
        return avoid;
    }

    public List<String> via() {
        return via;
    }

    @Override
    public String toString() {
        return "PathRequest{" + source + "->" + target + ", rate=" + requestedRate
                + (maxHops == UNLIMITED_HOPS ? "" : ", maxHops=" + maxHops)
                + (avoid.isEmpty() ? "" : ", avoid=" + avoid) + (via.isEmpty() ? "" : ", via=" + via) + '}';
    }

    public static final class Builder {
        private final String source;
        private final String target;
        private double requestedRate;
        private int maxHops = UNLIMITED_HOPS;
        private final Set<String> avoid = new LinkedHashSet<>();
        private final List<String> via = new ArrayList<>();

        private Builder(String source, String target) {
            if (source == null || target == null || source.equals(target)) {
                throw new IllegalArgumentException("source and target must be two different nodes");
            }
            this.source = source;
            this.target = target;
        }

        /** Key rate to carry in bit/s (0 = no rate requirement). */
        public Builder rate(double bitsPerSecond) {
            if (!(bitsPerSecond >= 0) || Double.isInfinite(bitsPerSecond)) {
                throw new IllegalArgumentException("rate must be finite and >= 0");
            }
            this.requestedRate = bitsPerSecond;
            return this;
        }

        public Builder maxHops(int hops) {
            if (hops < 1) {
                throw new IllegalArgumentException("maxHops must be >= 1");
            }
            this.maxHops = hops;
            return this;
        }

        public Builder avoid(Collection<String> nodes) {
            avoid.addAll(nodes);
            return this;
        }

        public Builder avoid(String... nodes) {
            return avoid(List.of(nodes));
        }

        /** Nodes to pass through, in this order. */
        public Builder via(String... nodes) {
            via.addAll(List.of(nodes));
            return this;
        }

        public PathRequest build() {
            if (avoid.contains(source) || avoid.contains(target)) {
                throw new IllegalArgumentException("source and target cannot be avoided");
            }
            Set<String> seen = new LinkedHashSet<>();
            for (String v : via) {
                if (v.equals(source) || v.equals(target) || avoid.contains(v) || !seen.add(v)) {
                    throw new IllegalArgumentException("bad waypoint " + v);
                }
            }
            return new PathRequest(this);
        }
    }
}

package org.qkdnf.controller.path;

/** Two disjoint paths with the smallest total cost; {@link #primary()} is the cheaper one. */
public final class DisjointPair {
    private final Path primary;
    private final Path secondary;

    DisjointPair(Path a, Path b) {
        boolean aFirst = Path.ORDER.compare(a, b) <= 0;
        this.primary = aFirst ? a : b;
        this.secondary = aFirst ? b : a;
    }

    public Path primary() {
        return primary;
    }

    public Path secondary() {
        return secondary;
    }

    public double totalCost() {
        return primary.cost() + secondary.cost();
    }

    @Override
    public String toString() {
        return "DisjointPair{" + primary + " | " + secondary + '}';
    }
}

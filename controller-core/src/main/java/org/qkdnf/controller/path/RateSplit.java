package org.qkdnf.controller.path;

import java.util.Collections;
import java.util.List;

/** A request's rate split over several paths; {@link #totalRate()} may fall short of the request. */
public final class RateSplit {
    /** One path of a split and the rate (bit/s) it carries. */
    public static final class Share {
        private final Path path;
        private final long rate;

        Share(Path path, long rate) {
            this.path = path;
            this.rate = rate;
        }

        public Path path() {
            return path;
        }

        public long rate() {
            return rate;
        }

        @Override
        public String toString() {
            return rate + " bit/s over " + path;
        }
    }

    private final List<Share> shares;
    private final long requestedRate;
    private final long totalRate;

    RateSplit(List<Share> shares, long requestedRate) {
        this.shares = Collections.unmodifiableList(shares);
        this.requestedRate = requestedRate;
        long total = 0;
        for (Share s : shares) {
            total += s.rate;
        }
        this.totalRate = total;
    }

    public List<Share> shares() {
        return shares;
    }

    public long requestedRate() {
        return requestedRate;
    }

    public long totalRate() {
        return totalRate;
    }

    public boolean satisfied() {
        return totalRate >= requestedRate;
    }

    @Override
    public String toString() {
        return "RateSplit{" + totalRate + "/" + requestedRate + " " + shares + '}';
    }
}

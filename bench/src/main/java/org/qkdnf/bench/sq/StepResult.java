package org.qkdnf.bench.sq;

import java.util.Locale;

import org.HdrHistogram.Histogram;

/**
 * The figures of one offered rate, over its measurement window. Latencies in milliseconds, from
 * the due time stamped in {@code measured_at} to the controller's topology event.
 *
 * @param offeredPerSecond  link updates/s asked of the pacer
 * @param sentPerSecond     link updates/s actually handed to gRPC in the window
 * @param acceptedPerSecond link updates/s the controller applied (LINK_PERFORMANCE events) in the window
 * @param samples           latency samples in the window
 * @param processCores      CPU the whole JVM (controller + agents) used, in cores
 * @param machineBusy       whole-machine CPU use in [0, 1] (other workers included), -1 if unknown
 * @param gcMillis          collector time in the window
 * @param drainMillis       after the step, how long events kept arriving (backlog)
 * @param flowControlStalls times a pacer found all its streams pushed back
 * @param serverMicrosPerUpdate CPU of the controller's threads per accepted update, µs
 * @param clientMicrosPerUpdate CPU of the simulated agents per accepted update, µs
 * @param otherMicrosPerUpdate  rest of the JVM (GC, JIT, ...) per accepted update, µs
 */
public record StepResult(int offeredPerSecond, double sentPerSecond, double acceptedPerSecond, long samples,
                         double p50Millis, double p90Millis, double p99Millis, double p999Millis,
                         double maxMillis, double processCores, double machineBusy, long gcMillis,
                         long drainMillis, long flowControlStalls, double serverMicrosPerUpdate,
                         double clientMicrosPerUpdate, double otherMicrosPerUpdate, boolean passed) {

    static StepResult of(int offered, double sent, double accepted, Histogram micros, double processCores,
                         double machineBusy, long gcMillis, long drainMillis, long stalls, double[] microsPerUpdate, double p99GoalMillis) {
        double p99 = ms(micros.getValueAtPercentile(99));
        boolean passed = micros.getTotalCount() > 0 && p99 <= p99GoalMillis
                && accepted >= SqLoadSettings.MIN_ACCEPTED_SHARE * offered;
        return new StepResult(offered, sent, accepted, micros.getTotalCount(), ms(micros.getValueAtPercentile(50)),
                ms(micros.getValueAtPercentile(90)), p99, ms(micros.getValueAtPercentile(99.9)),
                ms(micros.getMaxValue()), processCores, machineBusy, gcMillis, drainMillis, stalls,
                microsPerUpdate[0], microsPerUpdate[1], microsPerUpdate[2], passed);
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }

    static String header() {
        return "| offered upd/s | sent upd/s | accepted upd/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms "
                + "| JVM cores | machine busy | GC ms | drain ms | stalls | CPU µs/upd server/agents/other | pass |\n"
                + "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|";
    }

    String row() {
        return String.format(Locale.ROOT,
                "| %,d | %,.0f | %,.0f | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f | %s | %d | %d | %d | %.1f / %.1f / %.1f | %s |",
                offeredPerSecond, sentPerSecond, acceptedPerSecond, p50Millis, p90Millis, p99Millis, p999Millis,
                maxMillis, processCores, machineBusy < 0 ? "?" : String.format(Locale.ROOT, "%.0f%%", machineBusy * 100),
                gcMillis, drainMillis, flowControlStalls, serverMicrosPerUpdate, clientMicrosPerUpdate,
                otherMicrosPerUpdate, passed ? "yes" : "no");
    }
}

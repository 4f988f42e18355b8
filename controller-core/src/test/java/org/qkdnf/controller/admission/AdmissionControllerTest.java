package org.qkdnf.controller.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class AdmissionControllerTest {

    private static Map<String, Long> rates(Object... linkAndRate) {
        Map<String, Long> m = new HashMap<>();
        for (int i = 0; i < linkAndRate.length; i += 2) {
            m.put((String) linkAndRate[i], ((Number) linkAndRate[i + 1]).longValue());
        }
        return m;
    }

    @Test
    void admitsUpToTheFractionOfMeasuredSkrAndRefusesNamingTheLink() {
        AdmissionController a = new AdmissionController(new SimpleReservationStore(), 0.5);
        a.updateCapacity("L1", 10_000);
        a.updateCapacity("L2", 4_000);
        assertThat(a.admissibleBps("L1")).isEqualTo(5_000);
        assertThat(a.reserve("s1", 0, rates("L1", 3_000, "L2", 1_500), false).admitted()).isTrue();
        AdmissionDecision no = a.reserve("s2", 0, rates("L1", 1_000, "L2", 600), false);
        assertThat(no.admitted()).isFalse();
        assertThat(no.reason()).contains("lane L2").contains("600 bit/s requested").contains("500 bit/s");
        assertThat(a.reservedBps("L1")).as("all or nothing").isEqualTo(3_000);
        assertThat(a.reserve("s2", 0, rates("L1", 2_000, "L2", 500), false).admitted()).isTrue();
        assertThat(a.overbooked()).isEmpty();
    }

    @Test
    void aModifyCountsTheServicesOwnRateAsAvailable() {
        AdmissionController a = new AdmissionController(new SimpleReservationStore(), 1.0);
        a.updateCapacity("L1", 1_000);
        assertThat(a.reserve("s1", 0, rates("L1", 800), false).admitted()).isTrue();
        assertThat(a.reserve("s1", 0, rates("L1", 1_000), false).admitted()).isTrue();
        assertThat(a.reservedBps("L1")).isEqualTo(1_000);
        assertThat(a.reserve("s1", 0, rates("L1", 1_001), false).admitted()).isFalse();
        assertThat(a.reservedBps("L1")).as("refused modify keeps the old reservation").isEqualTo(1_000);
        assertThat(a.release("s1")).isTrue();
        assertThat(a.release("s1")).isFalse();
        assertThat(a.reservedBps("L1")).isZero();
    }

    @Test
    void aFallingLinkDisplacesLowestPriorityThenNewestFirst() {
        AdmissionController a = new AdmissionController(new SimpleReservationStore(), 1.0);
        a.updateCapacity("L1", 3_000);
        a.reserve("old-low", 1, rates("L1", 1_000), false);
        a.reserve("high", 5, rates("L1", 1_000), false);
        a.reserve("new-low", 1, rates("L1", 1_000), false);
        List<Reservation> displaced = a.updateCapacity("L1", 1_500);
        assertThat(displaced).extracting(Reservation::serviceId).containsExactly("new-low", "old-low");
        assertThat(a.reservedBps("L1")).isEqualTo(1_000);
        assertThat(a.updateCapacity("L1", 0)).extracting(Reservation::serviceId).containsExactly("high");
        assertThat(a.overbooked()).isEmpty();
    }

    @Test
    void higherPriorityPreemptsOnlyLowerAndOnlyWhenThatMakesItFit() {
        AdmissionController a = new AdmissionController(new SimpleReservationStore(), 1.0);
        a.updateCapacity("L1", 2_000);
        a.reserve("low", 1, rates("L1", 1_500), false);
        a.reserve("peer", 5, rates("L1", 500), false);
        assertThat(a.reserve("equal", 1, rates("L1", 1_000), true).admitted()).as("equal priority").isFalse();
        AdmissionDecision d = a.reserve("urgent", 9, rates("L1", 1_200), true);
        assertThat(d.admitted()).isTrue();
        assertThat(d.preempted()).extracting(Reservation::serviceId).containsExactly("low");
        AdmissionDecision tooBig = a.reserve("huge", 9, rates("L1", 5_000), true);
        assertThat(tooBig.admitted()).isFalse();
        assertThat(a.reservation("peer")).as("nothing released for a refused request").isPresent();
        assertThat(a.overbooked()).isEmpty();
    }

    @Test
    void reservationsSurviveARestartOfTheController() {
        SimpleReservationStore store = new SimpleReservationStore();
        AdmissionController a = new AdmissionController(store, 1.0);
        a.updateCapacity("L1", 1_000);
        a.reserve("s1", 2, rates("L1", 700), false);
        a.reserve("s2", 2, rates("L1", 300), false);
        a.release("s2");

        AdmissionController b = new AdmissionController(store, 1.0);
        assertThat(b.reservation("s1")).contains(a.reservation("s1").orElseThrow());
        assertThat(b.reservation("s2")).isEmpty();
        assertThat(b.reservedBps("L1")).isEqualTo(700);
        assertThat(b.overbooked()).as("kept until the link is measured again").containsKey("L1");
        assertThat(b.updateCapacity("L1", 900)).isEmpty();
        assertThat(b.overbooked()).isEmpty();
    }

    @Test
    void badInputIsRefusedNamingTheField() {
        AdmissionController a = new AdmissionController(new SimpleReservationStore(), 1.0);
        assertThatThrownBy(() -> a.reserve("s", 0, rates("L1", 0), false)).hasMessageContaining("rate_bps");
        assertThatThrownBy(() -> a.reserve("s", 0, rates(), false)).hasMessageContaining("lanes");
        assertThatThrownBy(() -> a.updateCapacity("L1", Double.NaN)).hasMessageContaining("skr_bps");
        assertThatThrownBy(() -> a.setAdmissibleFraction(1.5)).hasMessageContaining("admissible_fraction");
    }

    /**
     * No overbooking under any interleaving: threads create, modify and delete services over
     * random multi-link routes while another thread changes link capacities (link failures
     * included); after every single step no link holds more than it admits, and at the end the
     * per-link sums equal the reservations they come from.
     */
    @Test
    void randomisedConcurrentRequestsAndLinkFailuresNeverOverbookALink() throws Exception {
        SimpleReservationStore store = new SimpleReservationStore();
        AdmissionController a = new AdmissionController(store, 0.8);
        int links = 12;
        for (int l = 0; l < links; l++) {
            a.updateCapacity("L" + l, 10_000 + 1_000 * l);
        }
        int workers = 4;
        int stepsPerWorker = 2_500;
        ExecutorService pool = Executors.newFixedThreadPool(workers + 1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicLong admitted = new AtomicLong();
        AtomicLong violations = new AtomicLong();
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int seed = w;
            done.add(pool.submit(() -> {
                Random r = new Random(seed);
                go.await();
                for (int i = 0; i < stepsPerWorker; i++) {
                    String service = "w" + seed + "-s" + r.nextInt(40);
                    int op = r.nextInt(10);
                    if (op < 7) {
                        Map<String, Long> route = new HashMap<>();
                        int start = r.nextInt(links);
                        int hops = 1 + r.nextInt(4);
                        for (int h = 0; h < hops; h++) {
                            route.put("L" + ((start + h) % links), 100L + r.nextInt(3_000));
                        }
                        if (a.reserve(service, r.nextInt(4), route, r.nextBoolean()).admitted()) {
                            admitted.incrementAndGet();
                        }
                    } else {
                        a.release(service);
                    }
                    if (!a.overbooked().isEmpty()) {
                        violations.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        done.add(pool.submit(() -> {
            Random r = new Random(99);
            go.await();
            for (int i = 0; i < 2_000; i++) {
                String link = "L" + r.nextInt(links);
                double skr = r.nextInt(5) == 0 ? 0 : 2_000 + r.nextInt(20_000);
                a.updateCapacity(link, skr);
                if (!a.overbooked().isEmpty()) {
                    violations.incrementAndGet();
                }
            }
            return null;
        }));
        go.countDown();
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(violations.get()).as("steps after which a link was overbooked").isZero();
        assertThat(admitted.get()).as("the test exercised admissions").isGreaterThan(1_000);

        Map<String, Long> sums = new HashMap<>();
        for (Reservation r : store.loadAll()) {
            assertThat(a.reservation(r.serviceId())).contains(r);
            r.rateBpsByLane().forEach((l, bps) -> sums.merge(l, bps, Long::sum));
        }
        for (int l = 0; l < links; l++) {
            assertThat(a.reservedBps("L" + l)).as("L" + l).isEqualTo(sums.getOrDefault("L" + l, 0L));
            assertThat(a.reservedBps("L" + l)).isLessThanOrEqualTo(a.admissibleBps("L" + l));
        }
    }
}

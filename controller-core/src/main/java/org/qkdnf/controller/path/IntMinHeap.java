package org.qkdnf.controller.path;

import java.util.Arrays;

/**
 * Binary min-heap of int states keyed by double, on primitive arrays, with decrease-key.
 * Equal keys are ordered by the smaller state index, so the pop order is a total order and
 * every search built on it is deterministic. Not thread-safe; reused across searches.
 */
final class IntMinHeap {
    private final int[] heap;
    private final int[] pos;
    private final double[] key;
    private int size;

    IntMinHeap(int capacity) {
        heap = new int[capacity];
        pos = new int[capacity];
        key = new double[capacity];
        Arrays.fill(pos, -1);
    }

    void clear() {
        for (int i = 0; i < size; i++) {
            pos[heap[i]] = -1;
        }
        size = 0;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Inserts {@code x} with key {@code k}, or lowers its key if it is queued with a larger one. */
    void push(int x, double k) {
        int p = pos[x];
        if (p < 0) {
            key[x] = k;
            heap[size] = x;
            pos[x] = size;
            siftUp(size++);
        } else if (k < key[x]) {
            key[x] = k;
            siftUp(p);
        }
    }

    int pop() {
        int top = heap[0];
        pos[top] = -1;
        size--;
        if (size > 0) {
            int last = heap[size];
            heap[0] = last;
            pos[last] = 0;
            siftDown(0);
        }
        return top;
    }

    private boolean less(int a, int b) {
        double ka = key[a];
        double kb = key[b];
        return ka < kb || (ka == kb && a < b);
    }

    private void siftUp(int i) {
        int x = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            int p = heap[parent];
            if (!less(x, p)) {
                break;
            }
            heap[i] = p;
            pos[p] = i;
            i = parent;
        }
        heap[i] = x;
        pos[x] = i;
    }

    private void siftDown(int i) {
        int x = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int c = heap[child];
            int right = child + 1;
            if (right < size && less(heap[right], c)) {
                child = right;
                c = heap[child];
            }
            if (!less(c, x)) {
                break;
            }
            heap[i] = c;
            pos[c] = i;
            i = child;
        }
        heap[i] = x;
        pos[x] = i;
    }
}

package org.qkdnf.kms.relay;

/**
 * One hop of a route, as error messages and alarms name it:
 * {@code "hop 2 (node X -> node Y, link L)"}.
 *
 * @param index   the hop, from 1: from {@code route[index - 1]} to {@code route[index]}
 * @param from    qkdn_id of the sending node
 * @param to      qkdn_id of the receiving node
 * @param qkdlId  the link the hop uses; "?" when it is not known (a message too malformed to say)
 */
public record Hop(int index, String from, String to, String qkdlId) {

    @Override
    public String toString() {
        return "hop " + index + " (node " + from + " -> node " + to + ", link " + qkdlId + ")";
    }
}

package org.qkdnf.agent.driver;

import org.qkdnf.proto.southbound.v1.QkdlStatus;

/**
 * A module's state at one instant.
 *
 * @param status          {@code qkdl_status}: ACTIVE while distilling key, PASSIVE when disabled,
 *                        OFF when the channel yields no key (fibre cut, too much loss or noise)
 * @param eskrBps         expected secret key rate from the channel model at this instant, bit/s
 * @param qber            quantum bit error rate of the signal states, fraction in [0, 0.5]
 * @param channelAttDb    attenuation of the quantum channel at this instant, dB
 * @param keyVolumeBits   secret key produced on the attached link since it was attached, bits
 */
public record ModuleReading(QkdlStatus status, double eskrBps, double qber, double channelAttDb,
                            long keyVolumeBits) {
}

package org.qkdnf.agent.driver;

import org.qkdnf.proto.southbound.v1.PhysQkdRole;

/**
 * Static description of a QKD module, in the terms of the ETSI GS QKD 015 {@code qkd_interface}.
 *
 * @param model                 {@code qkdi_model}: vendor and model
 * @param type                  {@code qkdi_type}: the QKD protocol the module runs
 * @param role                  the module's end of the quantum channel
 * @param wavelengthRangeMinNm  lowest wavelength the module can use, nm
 * @param wavelengthRangeMaxNm  highest wavelength the module can use, nm
 * @param maxAbsorptionDb       highest channel attenuation over which the module still distils key, dB
 */
public record ModuleInfo(String model, String type, PhysQkdRole role, double wavelengthRangeMinNm,
                         double wavelengthRangeMaxNm, double maxAbsorptionDb) {
}

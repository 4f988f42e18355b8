package org.qkdnf.testbed.report;

import java.util.List;

/** What a provider's key managers and SAEs report for the testbed report. Thread-safe. */
public interface KeyManagementView {

    List<TestbedReport.KeyServiceReport> keyServices();

    TestbedReport.KeyManagementReport keyManagement();
}

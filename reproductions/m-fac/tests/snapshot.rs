harness::snapshot_test!(m_fac::REPRODUCTION);

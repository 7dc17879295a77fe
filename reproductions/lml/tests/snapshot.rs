harness::snapshot_test!(lml::REPRODUCTION);

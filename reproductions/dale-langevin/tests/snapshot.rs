harness::snapshot_test!(dale_langevin::REPRODUCTION);

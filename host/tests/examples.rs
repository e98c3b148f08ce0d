//! Every example config in `examples/configs` loads.

#[test]
fn every_example_config_is_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/configs");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            // The examples read a few variables; give them values.
            let text = std::fs::read_to_string(&path).unwrap();
            let env = vec![
                ("REDIS_PASSWORD".to_string(), "secret".to_string()),
                ("HOSTNAME".to_string(), "pump-test".to_string()),
            ];
            let origin = path.display().to_string();
            if let Err(e) = pump::config::parse(&text, &origin, &env) {
                panic!("{e}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} example configs found");
}

//! A missing standard image names the file and the command that fetches it. Kept in its own
//! test binary: it sets PLENOPTIC_DATA, which is process-wide.

use plenoptic as po;

#[test]
fn missing_data_files_say_how_to_fetch_them() {
    let dir = std::env::temp_dir().join(format!("plenoptic-empty-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::env::set_var("PLENOPTIC_DATA", &dir);
    assert_eq!(po::data::data_dir(), dir);
    for (name, result) in [
        ("einstein.pgm", po::data::einstein()),
        ("curie.pgm", po::data::curie()),
    ] {
        let e = result.unwrap_err();
        match &e {
            po::Error::MissingData { path } => assert_eq!(path, &dir.join(name)),
            other => panic!("{other:?}"),
        }
        let msg = e.to_string();
        assert!(msg.contains(&dir.join(name).display().to_string()), "{msg}");
        assert!(msg.contains("bash kernel-setup/fetch-data.sh"), "{msg}");
        assert!(msg.contains("PLENOPTIC_DATA"), "{msg}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

//! `pxby dataset scrape` against a real HTTP server on 127.0.0.1 serving `fixtures/scrape/`,
//! with faults injected: 5xx, 429 + Retry-After, a response past the timeout, a truncated body, a
//! dropped connection, a page without a Biology section, a list row without an image; and a kill
//! test on the real binary.

mod scrape_server;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

use pxby_tools::scrape::{self, CACHE_DIR, Cache, ScrapeError, ScrapeOptions};
use scrape_server::{Reply, Server, fixture_body, fixtures};

const LIST: &str = "/wiki/Liste_des_Pokemon";
const BULBASAUR: &str = "/wiki/Bulbasaur_(Pok%C3%A9mon)";
const CHARMANDER: &str = "/wiki/Charmander_(Pok%C3%A9mon)";
const PIKACHU: &str = "/wiki/Pikachu_(Pok%C3%A9mon)";
const IMG_CHARMANDER: &str = "/wiki/images/0004.png"; // `images/0004.png` relative to the list
const IMG_PIKACHU: &str = "/images/0025.png";
const IMG_FARFETCHD: &str = "/images/0083.png";

/// Every request a clean run makes: the list (through its redirect), 6 biology pages, 6 images.
/// Ditto's row has no image, so nothing is requested for it.
const CLEAN_PATHS: [&str; 14] = [
    "/Liste",
    LIST,
    BULBASAUR,
    CHARMANDER,
    "/wiki/Squirtle_(Pok%C3%A9mon)",
    PIKACHU,
    "/wiki/Nidoran%E2%99%80_(Pok%C3%A9mon)",
    "/wiki/Farfetch%27d_(Pok%C3%A9mon)",
    "/images/0001.png",
    IMG_CHARMANDER,
    "/images/0007.png",
    IMG_PIKACHU,
    "/images/0029.png",
    IMG_FARFETCHD,
];

/// The CSV a clean run writes: the layout of `../shared/data/pokemon/pokedex.csv` (CRLF, minimal
/// quoting). Squirtle's page has no Biology section: its first paragraph is used.
const EXPECTED_CSV: &str = "id,name,sprite,description\r\n\
0001,Bulbasaur,sprites/0001.png,\"Bulbasaur is a small, quadrupedal amphibian Pokémon with a plant bulb on its back. The bulb grows with it.\"\r\n\
0004,Charmander,sprites/0004.png,\"Charmander is a bipedal, reptilian Pokémon. The flame on its tail shows its life force; it burns \"\"brightly\"\" when it is healthy.\"\r\n\
0007,Squirtle,sprites/0007.png,Squirtle is a Water-type Pokémon introduced in Generation I. It withdraws into its shell when threatened.\r\n\
0025,Pikachu,sprites/0025.png,\"Pikachu is a short, chubby rodent Pokémon. It stores electricity in the red pouches on its cheeks.\"\r\n\
0029,Nidoran♀,sprites/0029.png,\"Nidoran♀ is a small, bipedal rodent-like Pokémon covered in poisonous barbs.\"\r\n\
0083,Farfetch'd,sprites/0083.png,\"Farfetch'd is a brown avian Pokémon that always carries a leek stalk, which it wields like a sword.\"\r\n";

const IDS: [&str; 6] = ["0001", "0004", "0007", "0025", "0029", "0083"];

fn options(server: &Server, out: &Path) -> ScrapeOptions {
    ScrapeOptions {
        out: out.to_owned(),
        list_url: server.list_url(),
        bio_url_template: server.bio_template(),
        delay: Duration::ZERO,
        concurrency: 2,
        retries: 3,
        timeout: Duration::from_secs(5),
        backoff: Duration::from_millis(5),
        print_report: false,
        ..ScrapeOptions::default()
    }
}

/// The output folder's files that `dataset build` reads: the CSV and the sprites.
fn output(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if let Ok(csv) = fs::read(out.join("pokedex.csv")) {
        files.insert("pokedex.csv".to_owned(), csv);
    }
    if let Ok(dir) = fs::read_dir(out.join("sprites")) {
        for entry in dir {
            let entry = entry.unwrap();
            let name = format!("sprites/{}", entry.file_name().to_string_lossy());
            files.insert(name, fs::read(entry.path()).unwrap());
        }
    }
    files
}

/// Asserts the folder holds exactly the clean run's result.
fn assert_complete(out: &Path) {
    let files = output(out);
    assert_eq!(
        String::from_utf8(files["pokedex.csv"].clone()).unwrap(),
        EXPECTED_CSV
    );
    let mut expected_names = vec!["pokedex.csv".to_owned()];
    for id in IDS {
        let name = format!("sprites/{id}.png");
        let fixture = fs::read(fixtures().join(format!("images/{id}.png"))).unwrap();
        assert_eq!(files[&name], fixture, "{name}");
        expected_names.push(name);
    }
    expected_names.sort();
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), expected_names);
}

/// The report lists Ditto (no image in its row) as the only failure.
fn assert_only_ditto_failed(report: &scrape::Report) {
    assert_eq!(report.failed.len(), 1, "{report}");
    let ditto = &report.failed[0];
    assert_eq!(
        (ditto.id, ditto.name.as_str(), ditto.stage.as_str()),
        (132, "Ditto", "image")
    );
    assert!(ditto.reason.contains("no image"), "{}", ditto.reason);
}

#[test]
fn clean_run_writes_the_source_folder_and_a_rerun_requests_nothing() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let report = scrape::run(&options(&server, dir.path())).unwrap();
    assert_complete(dir.path());
    assert_only_ditto_failed(&report);
    assert_eq!(report.items_listed, 7);
    assert_eq!(report.items_written, 6);
    assert_eq!(
        (
            report.fetched,
            report.from_cache,
            report.requests,
            report.retries
        ),
        (13, 0, 13, 0)
    );
    assert_eq!(
        report.fallback_descriptions,
        vec!["0007 Squirtle".to_owned()]
    );
    assert_eq!(
        report.skipped_rows.len(),
        1,
        "the Total row: {:?}",
        report.skipped_rows
    );

    // Each path requested once, none for Ditto, with the tool's User-Agent.
    let mut paths = server.paths();
    paths.sort();
    let mut expected: Vec<String> = CLEAN_PATHS
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    expected.sort();
    assert_eq!(paths, expected);
    for hit in server.hits() {
        assert!(
            hit.user_agent.starts_with("pxby-scrape/"),
            "{}",
            hit.user_agent
        );
    }

    // The report is printed text and JSON in the folder.
    let text = fs::read_to_string(dir.path().join("scrape-report.txt")).unwrap();
    assert!(
        text.contains("6 written, 1 failed") && text.contains("0132 Ditto [image]"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("scrape-report.json")).unwrap()).unwrap();
    assert_eq!(json["items_written"], 6);
    assert_eq!(json["failed"][0]["id"], 132);

    // A rerun makes no request and writes the same files.
    server.clear();
    let before = output(dir.path());
    let report = scrape::run(&options(&server, dir.path())).unwrap();
    assert_eq!(server.paths(), Vec::<String>::new());
    assert_eq!(
        (report.fetched, report.from_cache, report.requests),
        (0, 13, 0)
    );
    assert_eq!(output(dir.path()), before);
}

#[test]
fn server_errors_are_retried_until_success() {
    let server = Server::with_faults(|path, nth| match (path, nth) {
        (IMG_PIKACHU, 0) => Some(Reply::status(500)),
        (IMG_PIKACHU, 1) => Some(Reply::status(503)),
        (BULBASAUR, 0) => Some(Reply::status(502)),
        _ => None,
    });
    let dir = tempfile::tempdir().unwrap();
    let report = scrape::run(&options(&server, dir.path())).unwrap();
    assert_complete(dir.path());
    assert_only_ditto_failed(&report);
    assert_eq!(server.count(IMG_PIKACHU), 3);
    assert_eq!(server.count(BULBASAUR), 2);
    assert_eq!(
        (report.requests, report.retries, report.fetched),
        (16, 3, 13)
    );
}

#[test]
fn an_item_that_keeps_failing_is_given_up_reported_and_resumed_later() {
    let server = Server::with_faults(|path, _| (path == PIKACHU).then(|| Reply::status(500)));
    let dir = tempfile::tempdir().unwrap();
    let report = scrape::run(&options(&server, dir.path())).unwrap();
    // retries = 3: four tries, then the item is given up and reported; the others are written.
    assert_eq!(server.count(PIKACHU), 4);
    let pikachu = report
        .failed
        .iter()
        .find(|f| f.id == 25)
        .expect("Pikachu reported");
    assert_eq!(pikachu.stage, "bio");
    assert!(
        pikachu.reason.contains("500") && pikachu.reason.contains("after 4 tries"),
        "{}",
        pikachu.reason
    );
    assert_eq!(report.items_written, 5);
    let csv = fs::read_to_string(dir.path().join("pokedex.csv")).unwrap();
    assert!(!csv.contains("Pikachu") && csv.contains("0083,Farfetch'd"));
    // Its image was fetched and kept: nothing fetched is lost.
    assert!(dir.path().join("sprites/0025.png").exists());

    // Once the server is healthy again, a rerun asks only for what is missing.
    server.set_faults(|_, _| None);
    server.clear();
    let report = scrape::run(&options(&server, dir.path())).unwrap();
    assert_eq!(server.paths(), vec![PIKACHU.to_owned()]);
    assert_eq!((report.fetched, report.from_cache), (1, 12));
    assert_complete(dir.path());
}

#[test]
fn too_many_requests_honours_retry_after() {
    let server = Server::with_faults(|path, nth| {
        (path == LIST && nth == 0).then(|| Reply::Full {
            status: 429,
            headers: vec![("Retry-After".into(), "1".into())],
            body: b"slow down".to_vec(),
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let report = scrape::run(&options(&server, dir.path())).unwrap();
    assert_complete(dir.path());
    assert_only_ditto_failed(&report);
    let list_hits: Vec<_> = server
        .hits()
        .into_iter()
        .filter(|h| h.path == LIST)
        .collect();
    assert_eq!(list_hits.len(), 2);
    // The retry waited for Retry-After (1 s), not for the 5 ms backoff.
    let gap = list_hits[1].at - list_hits[0].at;
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
}

#[test]
fn a_retry_after_beyond_the_limit_gives_up_on_the_item() {
    let server = Server::with_faults(|path, _| {
        (path == IMG_FARFETCHD).then(|| Reply::Full {
            status: 429,
            headers: vec![("Retry-After".into(), "3600".into())],
            body: Vec::new(),
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(&server, dir.path());
    opts.max_retry_after = Duration::from_secs(10);
    let report = scrape::run(&opts).unwrap();
    assert_eq!(server.count(IMG_FARFETCHD), 1);
    let f = report.failed.iter().find(|f| f.id == 83).expect("reported");
    assert!(
        f.reason.contains("429") && f.reason.contains("Retry-After 3600 s"),
        "{}",
        f.reason
    );
    assert_eq!(report.items_written, 5);
}

#[test]
fn a_response_past_the_timeout_is_retried() {
    let server = Server::with_faults(|path, nth| {
        (path == IMG_CHARMANDER && nth == 0).then(|| {
            Reply::Slow(
                Duration::from_millis(1500),
                Box::new(Reply::ok("image/png", fixture_body(IMG_CHARMANDER))),
            )
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(&server, dir.path());
    opts.timeout = Duration::from_millis(400);
    let report = scrape::run(&opts).unwrap();
    assert_complete(dir.path());
    assert_only_ditto_failed(&report);
    assert_eq!(server.count(IMG_CHARMANDER), 2);
    assert_eq!(report.retries, 1);
}

#[test]
fn a_truncated_body_is_retried_and_never_cached() {
    let server = Server::with_faults(|path, nth| match (path, nth) {
        (CHARMANDER, 0) => Some(Reply::Truncated {
            body: fixture_body(CHARMANDER),
            send: 300,
        }),
        (IMG_PIKACHU, 0 | 1) => Some(Reply::Truncated {
            body: fixture_body(IMG_PIKACHU),
            send: 60,
        }),
        // Farfetch'd's image is always cut: given up, and nothing of it cached or written.
        (IMG_FARFETCHD, _) => Some(Reply::Truncated {
            body: fixture_body(IMG_FARFETCHD),
            send: 100,
        }),
        _ => None,
    });
    let dir = tempfile::tempdir().unwrap();
    let report = scrape::run(&options(&server, dir.path())).unwrap();
    assert_eq!(server.count(CHARMANDER), 2);
    assert_eq!(server.count(IMG_PIKACHU), 3);
    assert_eq!(server.count(IMG_FARFETCHD), 4);
    let f = report.failed.iter().find(|f| f.id == 83).expect("reported");
    assert_eq!(f.stage, "image");
    assert!(!dir.path().join("sprites/0083.png").exists());
    let cached: Vec<String> = Cache::open(dir.path().join(CACHE_DIR))
        .unwrap()
        .entries()
        .unwrap()
        .into_iter()
        .map(|p| p.url)
        .collect();
    assert_eq!(cached.len(), 12);
    assert!(!cached.iter().any(|u| u.ends_with(IMG_FARFETCHD)));
    let csv = fs::read_to_string(dir.path().join("pokedex.csv")).unwrap();
    assert!(
        csv.contains("0025,Pikachu") && csv.contains("0004,Charmander") && !csv.contains("0083")
    );
}

#[test]
fn a_dropped_connection_is_retried() {
    let server = Server::with_faults(|path, nth| match (path, nth) {
        (IMG_FARFETCHD, 0) | (LIST, 0) | (PIKACHU, 0 | 1) => Some(Reply::Drop),
        _ => None,
    });
    let dir = tempfile::tempdir().unwrap();
    let report = scrape::run(&options(&server, dir.path())).unwrap();
    assert_complete(dir.path());
    assert_only_ditto_failed(&report);
    assert_eq!(
        (
            server.count(IMG_FARFETCHD),
            server.count(LIST),
            server.count(PIKACHU)
        ),
        (2, 2, 3)
    );
}

#[test]
fn a_list_page_that_cannot_be_fetched_is_an_error_with_a_report() {
    let server = Server::with_faults(|path, _| (path == LIST).then(|| Reply::status(500)));
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(&server, dir.path());
    opts.retries = 1;
    let err = scrape::run(&opts).unwrap_err();
    assert!(matches!(err, ScrapeError::ListPage(_)), "{err}");
    assert_eq!(server.count(LIST), 2);
    assert!(!dir.path().join("pokedex.csv").exists());
    let text = fs::read_to_string(dir.path().join("scrape-report.txt")).unwrap();
    assert!(text.contains("[list]") && text.contains("500"), "{text}");
}

#[test]
fn limit_and_bad_options() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(&server, dir.path());
    opts.limit = Some(2);
    let report = scrape::run(&opts).unwrap();
    assert_eq!((report.items_listed, report.items_written), (2, 2));
    let csv = fs::read_to_string(dir.path().join("pokedex.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3);

    let bad = tempfile::tempdir().unwrap();
    let mut opts = options(&server, bad.path());
    opts.bio_url_template = format!("{}/wiki/Pikachu", server.base());
    assert!(matches!(
        scrape::run(&opts),
        Err(ScrapeError::InvalidOption(_))
    ));
    opts.bio_url_template = server.bio_template();
    opts.list_url = "not a url".into();
    assert!(matches!(
        scrape::run(&opts),
        Err(ScrapeError::InvalidOption(_))
    ));
    opts.list_url = server.list_url();
    opts.limit = Some(0);
    assert!(matches!(
        scrape::run(&opts),
        Err(ScrapeError::InvalidOption(_))
    ));
    // Options are checked before any request: only the first run (with --limit 2) asked.
    assert_eq!(server.count(LIST), 1);
    assert!(!bad.path().join("pokedex.csv").exists());
}

#[test]
fn requests_to_one_host_are_spaced_by_the_delay() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(&server, dir.path());
    opts.delay = Duration::from_millis(100);
    opts.concurrency = 3;
    scrape::run(&opts).unwrap();
    assert_complete(dir.path());
    // The redirect's follow-up is part of the list request: leave it out.
    let mut times: Vec<_> = server
        .hits()
        .into_iter()
        .filter(|h| h.path != LIST)
        .map(|h| h.at)
        .collect();
    times.sort();
    assert_eq!(times.len(), 13);
    // Every request starts >= 100 ms after the previous one (slack for the moment the
    // server reads the request head).
    for (i, pair) in times.windows(2).enumerate() {
        let gap = pair[1].duration_since(pair[0]);
        assert!(gap >= Duration::from_millis(50), "request {i}: gap {gap:?}");
    }
}

#[test]
fn a_run_where_nothing_can_be_scraped_is_an_error_and_writes_no_csv() {
    let server = Server::with_faults(|path, _| path.ends_with(".png").then(|| Reply::status(404)));
    let dir = tempfile::tempdir().unwrap();
    let err = scrape::run(&options(&server, dir.path())).unwrap_err();
    assert!(matches!(err, ScrapeError::NothingScraped(7)), "{err}");
    assert!(!dir.path().join("pokedex.csv").exists());
    // 404 is not retried: one request per image.
    assert_eq!(server.count(IMG_PIKACHU), 1);
    let text = fs::read_to_string(dir.path().join("scrape-report.txt")).unwrap();
    assert!(text.contains("HTTP 404 Not Found (after 1 try)"), "{text}");
    // The biology pages were cached all the same: nothing fetched is lost.
    assert_eq!(
        Cache::open(dir.path().join(CACHE_DIR))
            .unwrap()
            .entries()
            .unwrap()
            .len(),
        7
    );
}

#[cfg(unix)]
#[test]
fn outputs_are_ordinary_readable_files() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    scrape::run(&options(&server, dir.path())).unwrap();
    for file in ["pokedex.csv", "sprites/0001.png", "scrape-report.txt"] {
        let mode = fs::metadata(dir.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o644, 0o644, "{file}: {mode:o}");
    }
}

#[test]
fn at_most_concurrency_requests_at_a_time_with_the_given_user_agent() {
    // Every response takes 40 ms, so workers overlap whenever they can.
    let server = Server::with_faults(|path, _| {
        Some(Reply::Slow(
            Duration::from_millis(40),
            Box::new(scrape_server::fixture_reply(path)),
        ))
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(&server, dir.path());
    opts.concurrency = 3;
    opts.user_agent = "test-agent/1.0 (+mailto:someone@example.invalid)".into();
    scrape::run(&opts).unwrap();
    assert_complete(dir.path());
    let max = server.max_in_flight();
    assert!(
        (2..=3).contains(&max),
        "{max} requests at once with --concurrency 3"
    );
    for hit in server.hits() {
        assert_eq!(
            hit.user_agent,
            "test-agent/1.0 (+mailto:someone@example.invalid)"
        );
    }
}

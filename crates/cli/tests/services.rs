//! `healthcode services`: an operator schedules and cancels a closure in the
//! name of an authority account, on a data folder; anyone else's name is
//! refused, and each change is in the audit log.

mod common;

use common::{healthcode, path_str, stdout, temp_dir};

#[test]
fn services_are_scheduled_and_cancelled_from_the_command_line() {
    let dir = temp_dir();
    let data = path_str(&dir);
    for (role, name) in [("authority", "official-1"), ("checker", "gate-1")] {
        let created = healthcode(&[
            "admin",
            "create-user",
            "--role",
            role,
            "--username",
            name,
            "--data",
            data,
        ]);
        assert!(
            created.status.success(),
            "{}",
            String::from_utf8_lossy(&created.stderr)
        );
    }
    let listed = healthcode(&["services", "list", "--data", data]);
    assert!(listed.status.success());
    assert!(
        stdout(&listed).contains("code-display         open"),
        "{}",
        stdout(&listed)
    );

    let schedule = |by: &str, service: &str, at: &str| {
        healthcode(&[
            "services",
            "schedule",
            service,
            "--at",
            at,
            "--closure",
            "retired",
            "--notice-zh",
            "自助检测上报服务已停止。",
            "--notice-en",
            "Self-test reporting is retired.",
            "--by",
            by,
            "--data",
            data,
        ])
    };
    let refused = schedule("gate-1", "self-tests", "2099-01-01T00:00:00Z");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not have the authority role"));
    let refused = schedule("official-1", "self-tests", "2001-01-01T00:00:00Z");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("service.time"));
    let refused = schedule("official-1", "bingo", "2099-01-01T00:00:00Z");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("service.unknown"));

    let scheduled = schedule("official-1", "self-tests", "2099-01-01T00:00:00Z");
    assert!(
        scheduled.status.success(),
        "{}",
        String::from_utf8_lossy(&scheduled.stderr)
    );
    assert!(stdout(&scheduled).contains("self-tests retired from 2099-01-01T00:00:00Z"));
    let listed = stdout(&healthcode(&["services", "list", "--data", data]));
    assert!(
        listed.contains("self-tests           announced  2099-01-01T00:00:00Z"),
        "{listed}"
    );
    assert!(
        listed.contains("en: Self-test reporting is retired."),
        "{listed}"
    );

    let cancelled = healthcode(&[
        "services",
        "cancel",
        "self-tests",
        "--by",
        "official-1",
        "--data",
        data,
    ]);
    assert!(
        cancelled.status.success(),
        "{}",
        String::from_utf8_lossy(&cancelled.stderr)
    );
    let again = healthcode(&[
        "services",
        "cancel",
        "self-tests",
        "--by",
        "official-1",
        "--data",
        data,
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("service.not_scheduled"));
    let listed = stdout(&healthcode(&["services", "list", "--data", data]));
    assert!(listed.contains("self-tests           open"), "{listed}");

    // Both acts are in the log, which still verifies.
    let verified = healthcode(&["audit", "verify", "--data", data]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

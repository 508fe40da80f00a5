//! The `http` feature: upgrades arriving as `http::Request`s, as hyper and axum deliver them.

use codec::Param;
use sockeye_handshake::{
    http::{error_response, is_upgrade_request, Negotiator},
    Error,
};

use super::support::{Mock, TestExt};

/// RFC 6455 §1.2's example request as an `http::Request`, with `extra` headers.
fn request(extra: &[(&str, &str)]) -> http::Request<()> {
    let mut builder = http::Request::get("/chat?room=1")
        .header("host", "server.example.com")
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("origin", "http://example.com")
        .header("sec-websocket-protocol", "chat, superchat")
        .header("sec-websocket-version", "13");
    for (name, value) in extra {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap()
}

#[test]
fn upgrade_requests_are_recognised() {
    assert!(is_upgrade_request(&request(&[])));
    let plain = http::Request::get("/").body(()).unwrap();
    assert!(!is_upgrade_request(&plain));
    let h2c = http::Request::get("/")
        .header("upgrade", "h2c")
        .header("connection", "upgrade")
        .body(())
        .unwrap();
    assert!(!is_upgrade_request(&h2c));
    let listed = http::Request::get("/")
        .header("upgrade", "WebSocket")
        .header("connection", "keep-alive, Upgrade")
        .body(())
        .unwrap();
    assert!(is_upgrade_request(&listed));
}

#[test]
fn rfc6455_example_negotiates_the_101() {
    let negotiated = Negotiator::new()
        .add_protocol("superchat")
        .add_protocol("chat")
        .negotiate(&request(&[]))
        .unwrap();
    assert_eq!(negotiated.request().path(), "/chat?room=1");
    assert_eq!(negotiated.protocol(), Some("superchat"));
    let response = negotiated.response();
    assert_eq!(response.status(), http::StatusCode::SWITCHING_PROTOCOLS);
    let headers: Vec<(&str, &str)> = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
        .collect();
    assert_eq!(
        headers,
        [
            ("upgrade", "websocket"),
            ("connection", "upgrade"),
            ("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            ("sec-websocket-protocol", "superchat"),
        ]
    );
}

#[test]
fn extensions_are_negotiated_and_answered() {
    let (ext, log) = TestExt::new("test", vec![], &["a"]).boxed();
    let negotiated = Negotiator::new()
        .add_extension(ext)
        .negotiate(&request(&[(
            "sec-websocket-extensions",
            "test; b, test; a=\"5\"",
        )]))
        .unwrap();
    assert_eq!(log.lock().unwrap().configured.len(), 2);
    assert_eq!(
        negotiated.response().headers()["sec-websocket-extensions"],
        "test; a=5"
    );
    assert_eq!(
        negotiated.request().extensions()[1].params(),
        [Param::with_value("a", "5")]
    );
    // The negotiated extension travels into the connection builder.
    let _builder = negotiated.into_builder(Mock::new(vec![]));
}

#[test]
fn the_server_may_choose_another_offered_protocol() {
    let mut negotiated = Negotiator::new()
        .add_protocol("chat")
        .negotiate(&request(&[]))
        .unwrap();
    negotiated.set_protocol(Some("superchat")).unwrap();
    assert_eq!(
        negotiated.response().headers()["sec-websocket-protocol"],
        "superchat"
    );
    let err = negotiated.set_protocol(Some("other")).unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    negotiated.set_protocol(None).unwrap();
    assert!(!negotiated
        .response()
        .headers()
        .contains_key("sec-websocket-protocol"));
}

/// The status, headers other than content-type, and body of `error_response`.
fn answer(err: &Error) -> (u16, Vec<(String, String)>, String) {
    let response = error_response(err);
    let headers = response
        .headers()
        .iter()
        .filter(|(n, _)| *n != http::header::CONTENT_TYPE)
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        response.headers()[http::header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    (response.status().as_u16(), headers, response.into_body())
}

#[test]
fn bad_requests_get_400() {
    let no_key = {
        let mut r = request(&[]);
        r.headers_mut().remove("sec-websocket-key");
        r
    };
    let err = Negotiator::new().negotiate(&no_key).unwrap_err();
    assert_eq!(
        answer(&err),
        (400, vec![], "missing Sec-WebSocket-Key header\n".into())
    );

    let post = {
        let mut r = request(&[]);
        *r.method_mut() = http::Method::POST;
        r
    };
    let err = Negotiator::new().negotiate(&post).unwrap_err();
    assert_eq!(
        answer(&err),
        (400, vec![], "method must be GET, not POST\n".into())
    );

    let h2 = {
        let mut r = request(&[]);
        *r.version_mut() = http::Version::HTTP_2;
        r
    };
    let err = Negotiator::new().negotiate(&h2).unwrap_err();
    assert_eq!(
        answer(&err),
        (400, vec![], "http version must be HTTP/1.1\n".into())
    );
}

#[test]
fn wrong_version_gets_426_with_version_13() {
    let mut r = request(&[]);
    r.headers_mut()
        .insert("sec-websocket-version", "8".parse().unwrap());
    let err = Negotiator::new().negotiate(&r).unwrap_err();
    assert_eq!(
        answer(&err),
        (
            426,
            vec![
                ("upgrade".into(), "websocket".into()),
                ("sec-websocket-version".into(), "13".into())
            ],
            "unsupported websocket version; this server speaks version 13\n".into()
        )
    );
}

#[test]
fn other_origins_get_403() {
    let err = Negotiator::new()
        .set_allowed_origins(["https://example.com"])
        .negotiate(&request(&[]))
        .unwrap_err();
    assert!(
        matches!(&err, Error::OriginNotAllowed { origin } if origin == "http://example.com"),
        "{err:?}"
    );
    assert_eq!(answer(&err), (403, vec![], "origin not allowed\n".into()));
    Negotiator::new()
        .set_allowed_origins(["http://example.com"])
        .negotiate(&request(&[]))
        .unwrap();
}

#[test]
fn errors_without_a_status_answer_500() {
    let err = Error::InvalidAccept;
    assert_eq!(
        answer(&err),
        (500, vec![], "internal server error\n".into())
    );
}

//! A stand-in for an HTTP server the system calls out to (the ECB's rates
//! file): it answers every request with one status and body.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `status` with `body` to every request on a free local port, for
/// as long as the test runs; the URL of the ECB's daily file on it.
pub async fn serve(status: &'static str, body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let answer = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    format!("http://{address}/stats/eurofxref/eurofxref-daily.xml")
}

/// The ECB's daily file for the last day of the shipped snapshot.
pub fn ecb_daily() -> String {
    let history =
        std::fs::read_to_string(crate::app::workspace_root().join("infra/local/ecb-rates.xml"))
            .expect("the snapshot");
    let end = history.find("</Cube>").expect("a day") + "</Cube>".len();
    format!("{}\n\t</Cube>\n</gesmes:Envelope>\n", &history[..end])
}

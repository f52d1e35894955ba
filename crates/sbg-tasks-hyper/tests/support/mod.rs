//! A CONNECT proxy on loopback that records what it sees, for the proxy tests.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy saw: the head of every request it was sent, and every byte the client sent
/// through a tunnel.
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) heads: Vec<String>,
    pub(crate) tunnelled: Vec<u8>,
}

pub(crate) struct Proxy {
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) seen: Arc<Mutex<Seen>>,
}

impl Proxy {
    /// A CONNECT proxy; with `refuse`, it answers every request with that status line instead.
    pub(crate) async fn start(refuse: Option<&'static str>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, shared.clone(), refuse));
            }
        });
        Proxy { addr, seen }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn heads(&self) -> Vec<String> {
        self.seen.lock().unwrap().heads.clone()
    }
}

async fn serve(mut client: TcpStream, seen: Arc<Mutex<Seen>>, refuse: Option<&'static str>) {
    // The head, byte by byte: the client sends nothing more before the answer.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        if client.read(&mut b).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    seen.lock().unwrap().heads.push(head.clone());
    if let Some(status) = refuse {
        let _ = client
            .write_all(format!("{status}\r\ncontent-length: 0\r\n\r\n").as_bytes())
            .await;
        return;
    }
    let target = head
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .to_owned();
    let mut upstream = TcpStream::connect(&target).await.unwrap();
    client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await
        .unwrap();
    let (mut client_read, mut client_write) = client.into_split();
    let (mut up_read, mut up_write) = upstream.split();
    let to_server = async {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = client_read.read(&mut buf).await.unwrap_or(0);
            if n == 0 || up_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
            seen.lock().unwrap().tunnelled.extend_from_slice(&buf[..n]);
        }
        let _ = up_write.shutdown().await;
    };
    let to_client = async {
        let _ = tokio::io::copy(&mut up_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(to_server, to_client);
}

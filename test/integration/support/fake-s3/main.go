// fake-s3 serves an in-memory S3-compatible API over HTTPS on a loopback port, for the
// real-server tests of S3 backup repositories (pgBackRest's S3 driver always uses TLS).
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	port := flag.Int("port", 0, "port to listen on, on 127.0.0.1")
	certFile := flag.String("cert", "", "PEM certificate of the server")
	keyFile := flag.String("key", "", "PEM private key of the server")
	bucket := flag.String("bucket", "", "bucket to create at start")
	flag.Parse()
	if *port == 0 || *certFile == "" || *keyFile == "" || *bucket == "" {
		fmt.Fprintln(os.Stderr, "usage: fake-s3 -port <port> -cert <file> -key <file> -bucket <name>")
		os.Exit(2)
	}

	backend := s3mem.New()
	if err := backend.CreateBucket(*bucket); err != nil {
		log.Fatalf("create bucket %s: %v", *bucket, err)
	}
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.GlobalLog()))

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatalf("load certificate: %v", err)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		log.Fatalf("listen on port %d: %v", *port, err)
	}
	// the readiness line the test waits for
	fmt.Printf("fake-s3 listening on https://%s, bucket %s\n", ln.Addr(), *bucket)
	server := &http.Server{Handler: faker.Server(), TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	log.Fatal(server.ServeTLS(ln, "", ""))
}

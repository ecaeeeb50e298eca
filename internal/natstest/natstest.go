// Package natstest runs NATS servers with JetStream inside a test
// process, on loopback, as net/http/httptest does for HTTP: the tests of
// the cluster need no server outside.
package natstest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyWait bounds how long a server may take to accept connections.
const readyWait = 10 * time.Second

// Start runs one NATS server with JetStream on a free loopback port,
// its options changed by each of opts first; it stops when the test ends.
func Start(tb testing.TB, opts ...func(*server.Options)) *server.Server {
	tb.Helper()
	o := &server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: tb.TempDir(), NoSigs: true, NoLog: true,
	}
	for _, f := range opts {
		f(o)
	}
	s, err := server.NewServer(o)
	if err != nil {
		tb.Fatal(err)
	}
	s.Start()
	tb.Cleanup(s.Shutdown)
	Ready(tb, s)
	return s
}

// NewCluster makes, without starting them, three NATS servers with
// JetStream routed to each other on loopback as the cluster called name;
// each stops when the test ends.
func NewCluster(tb testing.TB, name string) []*server.Server {
	tb.Helper()
	ports := []int{FreePort(tb), FreePort(tb), FreePort(tb)}
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	var servers []*server.Server
	for i, p := range ports {
		s, err := server.NewServer(&server.Options{
			ServerName: fmt.Sprintf("%s-%d", name, i), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: tb.TempDir(), NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: name, Host: "127.0.0.1", Port: p},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(s.Shutdown)
		servers = append(servers, s)
	}
	return servers
}

// StartCluster runs the three servers of NewCluster and waits until each
// accepts connections (JetStream may still be electing its leaders).
func StartCluster(tb testing.TB, name string) []*server.Server {
	tb.Helper()
	servers := NewCluster(tb, name)
	for _, s := range servers {
		s.Start()
	}
	for _, s := range servers {
		Ready(tb, s)
	}
	return servers
}

// Ready waits until s accepts connections.
func Ready(tb testing.TB, s *server.Server) {
	tb.Helper()
	if !s.ReadyForConnections(readyWait) {
		tb.Fatalf("nats server %s not ready after %s", s.Name(), readyWait)
	}
}

// URLs is the client URLs of servers, comma-separated as nats.Connect
// and --nats take them.
func URLs(servers []*server.Server) string {
	var urls []string
	for _, s := range servers {
		urls = append(urls, s.ClientURL())
	}
	return strings.Join(urls, ",")
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// WarpGrid additions to TinyGo's crypto/tls (a file merged into TINYGOROOT/src/crypto/tls, which
// TinyGo takes whole from TINYGOROOT): the API database drivers reference while building their
// TLS configuration. TLS to databases happens on the WarpGrid host (the database proxy holds
// certificates and does the handshake), so guests connect in plain text and these functions
// only have to exist and fail clearly.

package tls

import "errors"

var errWarpGridTLS = errors.New("crypto/tls: TLS is not available in WarpGrid TinyGo guests; the host's database proxy does TLS (use sslmode=disable / tls=false)")

// Clone returns a shallow copy of c (the copy gets its own zero-value lock).
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	return &Config{
		Rand:                        c.Rand,
		Time:                        c.Time,
		Certificates:                c.Certificates,
		NameToCertificate:           c.NameToCertificate,
		GetCertificate:              c.GetCertificate,
		GetClientCertificate:        c.GetClientCertificate,
		GetConfigForClient:          c.GetConfigForClient,
		VerifyPeerCertificate:       c.VerifyPeerCertificate,
		VerifyConnection:            c.VerifyConnection,
		RootCAs:                     c.RootCAs,
		NextProtos:                  c.NextProtos,
		ServerName:                  c.ServerName,
		ClientAuth:                  c.ClientAuth,
		ClientCAs:                   c.ClientCAs,
		InsecureSkipVerify:          c.InsecureSkipVerify,
		CipherSuites:                c.CipherSuites,
		PreferServerCipherSuites:    c.PreferServerCipherSuites,
		SessionTicketsDisabled:      c.SessionTicketsDisabled,
		SessionTicketKey:            c.SessionTicketKey,
		ClientSessionCache:          c.ClientSessionCache,
		UnwrapSession:               c.UnwrapSession,
		WrapSession:                 c.WrapSession,
		MinVersion:                  c.MinVersion,
		MaxVersion:                  c.MaxVersion,
		CurvePreferences:            c.CurvePreferences,
		DynamicRecordSizingDisabled: c.DynamicRecordSizingDisabled,
		Renegotiation:               c.Renegotiation,
		KeyLogWriter:                c.KeyLogWriter,
	}
}

// X509KeyPair fails: client certificates are the host's business under WarpGrid.
func X509KeyPair(certPEMBlock, keyPEMBlock []byte) (Certificate, error) {
	return Certificate{}, errWarpGridTLS
}

//! EU Digital COVID Certificates (HC1).

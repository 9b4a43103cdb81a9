#!/bin/bash
# tests/e2e/sendmail/test_chain.sh - tests/e2e/test_chain.sh through the
# private Sendmail of tests/e2e/smlab.sh instead of Postfix (tests/e2e/mta.sh).
E2E_MTA=sendmail exec bash "$(dirname "$0")/../test_chain.sh" "$@"

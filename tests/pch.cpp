// tests/pch.cpp — the translation unit that owns the test suites' precompiled header
// (support/precompiled.hpp); the suites reuse it. It defines nothing.

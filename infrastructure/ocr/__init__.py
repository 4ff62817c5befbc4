"""Optical character recognition of scanned pages: an offline RapidOCR (ONNX Runtime) adapter and an accuracy measure."""

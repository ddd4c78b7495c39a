"""casesearch"""

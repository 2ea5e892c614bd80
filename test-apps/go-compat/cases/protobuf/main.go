package main

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"warpgrid.example/go-compat/harness"
)

func main() {
	harness.Serve(func() (string, error) {
		in, err := structpb.NewStruct(map[string]any{"name": "ann", "n": 3})
		if err != nil {
			return "", err
		}
		b, err := proto.Marshal(in)
		if err != nil {
			return "", err
		}
		var out structpb.Struct
		if err := proto.Unmarshal(b, &out); err != nil {
			return "", err
		}
		if out.Fields["name"].GetStringValue() != "ann" {
			return "", fmt.Errorf("decoded %v", out.AsMap())
		}
		return fmt.Sprintf("%d bytes", len(b)), nil
	})
}

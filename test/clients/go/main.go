// Command podid-go-client calls AWS with the Go SDK v2's default credential chain only, so the
// suite can watch a real Go application use the agent. Usage:
//
//	podid-go-client sts
//	podid-go-client put <bucket> <key>
//	podid-go-client loop <seconds> <count> sts|put <bucket> <key>
//
// Each result is printed as one JSON line on stdout.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

type result struct {
	SDK         string `json:"sdk"`
	Action      string `json:"action"`
	OK          bool   `json:"ok"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	Arn         string `json:"arn,omitempty"`
	Error       string `json:"error,omitempty"`
	At          string `json:"at"`
}

func emit(r result) {
	r.SDK = "go"
	r.At = time.Now().UTC().Format(time.RFC3339Nano)
	line, _ := json.Marshal(r)
	fmt.Println(string(line))
}

func run(ctx context.Context, cfg aws.Config, action []string) result {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	r := result{Action: action[0]}
	var err error
	switch action[0] {
	case "sts":
		var out *sts.GetCallerIdentityOutput
		out, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil {
			r.Arn = aws.ToString(out.Arn)
		}
	case "put":
		if len(action) < 3 {
			err = fmt.Errorf("put needs <bucket> <key>")
			break
		}
		client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		_, err = client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(action[1]),
			Key:    aws.String(action[2]),
			Body:   strings.NewReader("written by the Go SDK v2"),
		})
	default:
		err = fmt.Errorf("unknown action %q", action[0])
	}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.OK = true
	// The cache answers without a fetch here: this is the key the call above was signed with.
	if creds, cerr := cfg.Credentials.Retrieve(ctx); cerr == nil {
		r.AccessKeyID = creds.AccessKeyID
	}
	return r
}

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: podid-go-client sts | put <bucket> <key> | loop <seconds> <count> <action...>")
		os.Exit(2)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		emit(result{Action: "config", Error: err.Error()})
		os.Exit(1)
	}
	if args[0] != "loop" {
		r := run(ctx, cfg, args)
		emit(r)
		if !r.OK {
			os.Exit(1)
		}
		return
	}
	if len(args) < 4 {
		fmt.Fprintln(os.Stderr, "loop needs <seconds> <count> <action...>")
		os.Exit(2)
	}
	seconds, _ := strconv.ParseFloat(args[1], 64)
	count, _ := strconv.Atoi(args[2])
	for i := 0; i < count; i++ {
		if i > 0 {
			time.Sleep(time.Duration(seconds * float64(time.Second)))
		}
		emit(run(ctx, cfg, args[3:]))
	}
}
